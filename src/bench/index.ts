/** bench: the evaluation, measured side by side on the embedded runtime, with a report people want to read. */
export * from './types.js';
export { runBench, DEFAULT_STRATEGIES, QUICK_MODELS, QUICK_PLATFORMS, type BenchOptions } from './run.js';
export { runCell, measuredCost, type CellInput } from './cell.js';
export { functionsBetween, requestBill } from './measure.js';
export { summarize, geomean, noiseFloor } from './summary.js';
export { writeReport, summaryTable, loadedCellsLine, TARGETS } from './report.js';
export { chartsFor, type Timeline } from './charts.js';
export { measureInterleaved } from './sweep-measure.js';
export { SLO_PERCENTILE, measuredMeets, runSweep, planSweep, sloLadder, deploymentKey, splitBoundRatio, memoryTrack, type MemoryTrack, QUICK_SWEEP_MODELS, QUICK_SWEEP_PLATFORMS, type SweepOptions, type SweepReport, type SweepRow, type SplitBound } from './sweep.js';
export { writeSweepReport, sweepMarkdown, stepVerdicts, paretoChart, memoryChart, predictionRatios, type StepVerdict } from './sweep-report.js';
export { runDemo, type DemoOptions, type DemoSide, type DemoResult } from './demo.js';
export { runWorkloadBench, QUICK_WORKLOAD, QUICK_WORKLOAD_PLATFORMS, QUICK_RATE_SCALES, WORKLOAD_STRATEGIES, type WorkloadOptions, type WorkloadReport, type WorkloadRow, type WorkloadStrategy } from './workload.js';
export { writeWorkloadReport, workloadMarkdown, workloadHeadline, workloadCharts } from './workload-report.js';
export { runLoad, workloadSchedule, summariseLoad, type LoadOutcome, type ScheduledRequest, type AppLoadSummary, type LoadBounds } from './loadgen.js';
export { measureVerify, type VerifyMeasurement } from './verify-measure.js';
export { measureServedOverhead, type ServedOverhead } from './invocation-overhead.js';
export { renderResults, loadResultsData, readmeResults, replaceResults, checkResults, RESULTS_BEGIN, RESULTS_END, type ResultsData } from './results-readme.js';
export { loadPhrase } from './results-format.js';
