/**
 * Serverless platforms as data: how memory and CPU are configured, how they bill, their limits and hand-off
 * costs. Every number carries a source note and an "as of" date in `notes` (key = field path). Code never
 * branches on a platform id; it reads these records (see cost-model.ts).
 */
import { MoparError } from '../core/index.js';

/** CPU follows memory (AWS Lambda): vcpu = min(maxVcpu, memoryMB / mbPerVcpu). */
export interface ProportionalCpu { kind: 'proportional'; mbPerVcpu: number; maxVcpu: number }

/** CPU chosen independently of memory, within rules (Cloud Run, Function Compute, Kubernetes). */
export interface IndependentCpu {
  kind: 'independent';
  minVcpu: number;
  maxVcpu: number;
  /** Granularity of fractional settings. */
  stepVcpu: number;
  /** Above 1 vCPU only these values are allowed (Cloud Run); absent = any multiple of stepVcpu. */
  wholeChoices?: number[];
  /** Memory allowed per vCPU setting: the row with the largest `fromVcpu` ≤ vcpu applies. */
  memoryRules?: Array<{ fromVcpu: number; minMB: number; maxMB: number }>;
  /** Memory-to-vCPU ratio bounds (MB per vCPU), e.g. Function Compute's 1:1 … 1:4 GB. */
  mbPerVcpu?: { min: number; max: number };
}

export interface Platform {
  id: string;
  name: string;
  memory: { minMB: number; maxMB: number; stepMB: number };
  cpu: ProportionalCpu | IndependentCpu;
  /**
   * Period over which a fractional CPU quota is enforced (Linux CFS bandwidth control): a function below 1 vCPU
   * runs at full speed until its share of the period is spent, then waits for the next one, so a call can wait up
   * to (1 − vCPU) × this beyond its average time (t ÷ vCPU). The batching planner counts it in its p99.
   */
  quotaPeriodMs: number;
  price: {
    /** USD per GB-second of configured memory (GB = 1024 MB, as the providers bill). */
    perGBSecond: number;
    /** USD per vCPU-second of configured CPU (0 where CPU is folded into the memory price). */
    perVcpuSecond: number;
    perRequest: number;
    /** Billed duration is rounded up to this many ms. */
    granularityMs: number;
  };
  limits: {
    /** Largest synchronous request/response body, MB; null = no practical limit. */
    payloadMB: number | null;
    /** Payload bytes on the wire per raw byte (JSON + base64 = 4/3). */
    payloadInflation: number;
    /** Largest deployable package (model weights + runtime), MB. */
    packageMB: number;
    /** Size of the function runtime itself inside the package (Node + onnxruntime-node), MB. */
    runtimePackageMB: number;
    timeoutMs: number;
    /** Most parallel sub-slices the planner will fan out to in one group. */
    maxParallel: number;
  };
  /**
   * One function-to-function hand-off through the platform (warm), excluding the bytes; and the handler's own
   * time per invocation (decode the request, call the session, encode the reply), billed and on the path.
   */
  hop: { overheadMs: number; bandwidthMBps: number; invokeMs: number };
  /** Functions may be co-located and hand tensors over through shared memory. */
  shm: { available: boolean; overheadMs: number; bandwidthMBps: number };
  /**
   * Concurrent requests on one instance billed together (instance time while at least one request is active,
   * rounded per busy period); absent where each request is billed as its own invocation.
   */
  concurrency?: { maxPerInstance: number; targetUtilisation: number };
  /**
   * How instances started or kept loaded outside requests are billed (the cost of warm-up and keep-alive under
   * sparse traffic): whether an instance's start (init: spawn + model load) is billed at the configured size, and
   * the price of an idle loaded instance per GB-second and vCPU-second (null: idle time is not billed).
   * Absent: unknown, and a sparse-traffic cost leaves warm-up out and says so.
   */
  warmup?: { initBilled: boolean; idle: { perGBSecond: number; perVcpuSecond: number } | null };
  /**
   * Instances as a resource (the batching planner's queue model): the most instances of one function by default,
   * how long the platform keeps an idle instance before reclaiming it, and the price of one instance kept warm
   * outside requests by a warm minimum (Cloud Run min-instances, Lambda provisioned concurrency, Knative
   * min-scale) per GB-second and vCPU-second, charged all the time. `warm` null: no warm minimum is planned.
   */
  instances?: { defaultMax: number; idleKeepMs: number; warm: { perGBSecond: number; perVcpuSecond: number } | null };
  /**
   * Staging big tensors (one PUT by the producer, one GET per consumer) and where a function's weights are
   * fetched from at a cold start: first-byte latency and one stream's bandwidth (MB = 2^20 bytes).
   */
  objectStore: { putUSD: number; getUSD: number; latencyMs: number; bandwidthMBps: number };
  /**
   * A cold start before the weights: a new sandbox/container (sandboxMs), then the language runtime and the
   * handler's imports, onnxruntime-node included (runtimeInitMs). Fetching and loading the weights come on top
   * (plan/cold-start.ts).
   */
  coldStart: { sandboxMs: number; runtimeInitMs: number };
  /**
   * What a deployment of more than one function runs besides its functions (one function is its own endpoint and
   * has none): the entry that receives each request and waits for the whole chain, billed for the request's
   * duration at this platform's prices and granularity at its size (`entry`), plus its request fee; and where the
   * chain runs through an orchestration service (`workflow`: Step Functions Express on AWS Lambda), that service,
   * billed per request and per GB-second of `memoryMB` over the request's duration rounded up to `granularityMs`.
   * orchestration.ts prices it; src/deploy writes the entry at this size.
   */
  orchestration: {
    entry: { memoryMB: number; vcpu: number };
    workflow?: { perRequest: number; perGBSecond: number; memoryMB: number; granularityMs: number };
  };
  notes: Record<string, string>;
}

/** The entry our Kubernetes targets (OpenFaaS, Knative) deploy: 256 MB, 0.25 vCPU. */
const K8S_ENTRY = { memoryMB: 256, vcpu: 0.25 };

const AWS_S3 = { putUSD: 0.005 / 1000, getUSD: 0.0004 / 1000, latencyMs: 25, bandwidthMBps: 90 };
const S3_NOTE = 'S3 Standard us-east-1 request prices (aws.amazon.com/s3/pricing, as of 2024-06); latency and '
  + 'single-stream bandwidth are our estimates for in-region access from a function (as of 2024-06)';

export const PLATFORMS: readonly Platform[] = [
  {
    id: 'aws-lambda',
    name: 'AWS Lambda (x86, us-east-1)',
    memory: { minMB: 128, maxMB: 10240, stepMB: 1 },
    cpu: { kind: 'proportional', mbPerVcpu: 1769, maxVcpu: 6 },
    quotaPeriodMs: 100,
    price: { perGBSecond: 0.0000166667, perVcpuSecond: 0, perRequest: 0.2 / 1e6, granularityMs: 1 },
    limits: {
      payloadMB: 6, payloadInflation: 4 / 3, packageMB: 10240, runtimePackageMB: 120, timeoutMs: 900_000,
      maxParallel: 8,
    },
    hop: { overheadMs: 15, bandwidthMBps: 60, invokeMs: 2 },
    shm: { available: false, overheadMs: 0, bandwidthMBps: 0 },
    objectStore: AWS_S3,
    warmup: { initBilled: true, idle: null },
    instances: { defaultMax: 1000, idleKeepMs: 5 * 60_000, warm: { perGBSecond: 0.0000041667, perVcpuSecond: 0 } },
    coldStart: { sandboxMs: 125, runtimeInitMs: 250 },
    orchestration: {
      entry: { memoryMB: 512, vcpu: 512 / 1769 },
      workflow: { perRequest: 1 / 1e6, perGBSecond: 0.00001667, memoryMB: 64, granularityMs: 100 },
    },
    notes: {
      'orchestration.entry': 'what `mopar deploy --target lambda` writes: the entry function (MemorySize 512, so 512/1,769 vCPU) that runs the Step Functions Express execution and waits for it (src/deploy/lambda.ts), billed as a Lambda invocation for the whole request (as of 2024-06)',
      'orchestration.workflow': 'aws.amazon.com/step-functions/pricing, Express workflows us-east-1: $1.00 per 1M requests, $0.00001667 per GB-second, memory billed in 64 MB chunks, duration rounded up to the next 100 ms (as of 2024-06); we bill the first chunk, 64 MB: tensors over 256 KiB are staged in S3 by our entry, so the state stays small',
      'instances.defaultMax': 'docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html: 1,000 concurrent executions per account and region by default (as of 2024-06); one function may take all of it',
      'instances.idleKeepMs': 'our assumption: AWS does not document how long an idle execution environment is kept; 5 min is the low end reported (as of 2026-12)',
      'instances.warm': 'aws.amazon.com/lambda/pricing, provisioned concurrency x86 us-east-1: $0.0000041667 per GB-s while configured (as of 2024-06); invocations on it are billed duration at $0.0000097222/GB-s, which we leave at the on-demand price (overstates a warm minimum\'s invocations)',
      'quotaPeriodMs': 'our assumption: the Linux CFS default of 100 ms; Lambda does not document how a fraction of a vCPU is enforced (as of 2026-12)',
      'warmup': 'docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html: the INIT phase of container-image functions is billed as duration at the configured memory (as of 2024-06; since 2025-08 for every function); an idle execution environment kept by the platform between invocations is not billed — a pre-warm is one billed start (a ping), not billed idle time. Provisioned concurrency (billed while idle) is not modelled',
      'memory': 'docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html: 128–10,240 MB in 1 MB steps (as of 2024-06)',
      'cpu': 'same page: CPU proportional to memory, 1 vCPU-equivalent at 1,769 MB, up to 6 vCPUs at 10,240 MB (as of 2024-06)',
      'price': 'aws.amazon.com/lambda/pricing, x86 first tier: $0.0000166667/GB-s, $0.20 per 1M requests, billed per 1 ms (as of 2024-06)',
      'limits.payloadMB': 'docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 6 MB synchronous request and response (as of 2024-06); binary tensors travel base64 in JSON (×4/3)',
      'limits.packageMB': 'same page: 250 MB unzipped zip package, 10 GB container image; we plan for container images (as of 2024-06); runtime size is our measurement estimate',
      'limits.timeoutMs': 'same page: 900 s (as of 2024-06)',
      'limits.maxParallel': 'our choice: fan-out beyond 8 parts rarely pays the per-hop overhead',
      'hop': 'our estimate of a warm synchronous Invoke through a gateway (15 ms) and payload throughput (60 MB/s), as of 2024-06; measure with `mopar bench` and adjust',
      'hop.invokeMs': 'our estimate of the handler overhead per invocation (request decode, session call, reply encode) on every platform, as of 2024-06',
      'objectStore': S3_NOTE,
      'coldStart.sandboxMs': 'Firecracker microVM start "in as little as 125 ms" (Agache et al., Firecracker: Lightweight Virtualization for Serverless Applications, NSDI 2020); as of 2024-06',
      'coldStart.runtimeInitMs': 'our estimate for the Node.js 20 runtime plus importing onnxruntime-node (Init Duration of small Node.js functions is typically 150–300 ms, docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html describes the Init phase; the figure is ours), as of 2026-12',
    },
  },
  {
    id: 'gcp-cloud-run',
    name: 'Google Cloud Run (request-based billing, Tier 1)',
    memory: { minMB: 128, maxMB: 32768, stepMB: 1 },
    cpu: {
      kind: 'independent', minVcpu: 0.08, maxVcpu: 8, stepVcpu: 0.001, wholeChoices: [1, 2, 4, 6, 8],
      memoryRules: [
        { fromVcpu: 0.08, minMB: 128, maxMB: 512 },
        { fromVcpu: 0.5, minMB: 128, maxMB: 1024 },
        { fromVcpu: 1, minMB: 128, maxMB: 4096 },
        { fromVcpu: 2, minMB: 128, maxMB: 8192 },
        { fromVcpu: 4, minMB: 2048, maxMB: 16384 },
        { fromVcpu: 6, minMB: 4096, maxMB: 24576 },
        { fromVcpu: 8, minMB: 4096, maxMB: 32768 },
      ],
    },
    quotaPeriodMs: 100,
    price: { perGBSecond: 0.0000025, perVcpuSecond: 0.000024, perRequest: 0.4 / 1e6, granularityMs: 100 },
    limits: {
      payloadMB: 32, payloadInflation: 1, packageMB: 10240, runtimePackageMB: 120, timeoutMs: 3_600_000,
      maxParallel: 8,
    },
    hop: { overheadMs: 10, bandwidthMBps: 100, invokeMs: 2 },
    shm: { available: false, overheadMs: 0, bandwidthMBps: 0 },
    objectStore: { putUSD: 0.005 / 1000, getUSD: 0.0004 / 1000, latencyMs: 30, bandwidthMBps: 90 },
    coldStart: { sandboxMs: 500, runtimeInitMs: 250 },
    orchestration: { entry: K8S_ENTRY },
    concurrency: { maxPerInstance: 80, targetUtilisation: 0.6 },
    warmup: { initBilled: true, idle: { perGBSecond: 0.0000025, perVcpuSecond: 0.0000025 } },
    instances: { defaultMax: 100, idleKeepMs: 15 * 60_000, warm: { perGBSecond: 0.0000025, perVcpuSecond: 0.0000025 } },
    notes: {
      'orchestration.entry': 'our assumption: no deploy target writes Cloud Run; an entry service of 256 MB and 0.25 vCPU like our Kubernetes entry (allowed: below 0.5 vCPU up to 512 MiB), billed as a request for the whole request, no orchestration service (as of 2026-12)',
      'instances.defaultMax': 'cloud.google.com/run/docs/configuring/max-instances: 100 max instances per service by default (as of 2024-06)',
      'instances.idleKeepMs': 'cloud.google.com/run/docs/about-instance-autoscaling: idle instances may be kept up to 15 minutes (as of 2024-06)',
      'instances.warm': 'min instances billed while idle at the idle rate (as warmup.idle, Tier 1, as of 2024-06); we charge it all the time (a min instance serving a request is billed the active rate instead: overstates by the idle rate over busy time)',
      'quotaPeriodMs': 'our assumption: the Linux CFS default of 100 ms; Cloud Run documents CPU below 1 vCPU but not how it is enforced (as of 2026-12)',
      'warmup': 'cloud.google.com/run/pricing and /docs/configuring/min-instances: an instance kept warm outside requests is a min instance, billed while idle at the idle rate (Tier 1: $0.0000025/vCPU-s, $0.0000025/GiB-s, as of 2024-06); we bill an instance start (container startup) as instance time at the active rate (our reading of request-based billing, as of 2024-06)',
      'concurrency': 'cloud.google.com/run/docs/about-concurrency: default 80 concurrent requests per instance; request-based billing charges instance time while it handles at least one request, rounded up to 100 ms; autoscaling targets 60 % CPU (as of 2024-06)',
      'memory': 'cloud.google.com/run/docs/configuring/services/memory-limits: 128 MiB–32 GiB (as of 2024-06)',
      'cpu': 'cloud.google.com/run/docs/configuring/services/cpu: 0.08–1 vCPU in 0.001 steps, then 1/2/4/6/8; memory per vCPU per the table; >512 MiB needs ≥0.5 vCPU, >1 GiB needs ≥1 vCPU (as of 2024-06)',
      'price': 'cloud.google.com/run/pricing, request-based billing Tier 1: $0.000024/vCPU-s, $0.0000025/GiB-s, $0.40 per 1M requests, rounded up to 100 ms (as of 2024-06; free tier ignored)',
      'limits.payloadMB': 'cloud.google.com/run/quotas: 32 MiB HTTP/1 request (as of 2024-06); tensors sent as binary',
      'limits.packageMB': 'container image; 10 GB is our planning bound, not a documented Cloud Run limit (as of 2024-06)',
      'hop': 'our estimate of a warm in-region HTTPS call between services, as of 2024-06',
      'objectStore': 'Cloud Storage Standard class A/B operation prices rounded to S3-like values (cloud.google.com/storage/pricing, as of 2024-06); latency/bandwidth our estimates',
      'coldStart.sandboxMs': 'our estimate of a gVisor sandbox + container start for a cached image (cloud.google.com/run/docs/tips/general describes cold starts without a figure), as of 2026-12',
      'coldStart.runtimeInitMs': 'our estimate: Node.js 20 + onnxruntime-node import, as on Lambda, as of 2026-12',
    },
  },
  {
    id: 'alibaba-fc',
    name: 'Alibaba Cloud Function Compute 3.0 (CPU instances, on-demand)',
    memory: { minMB: 128, maxMB: 32768, stepMB: 64 },
    cpu: { kind: 'independent', minVcpu: 0.05, maxVcpu: 16, stepVcpu: 0.05, mbPerVcpu: { min: 1024, max: 4096 } },
    // CU-based billing: 1 CU = $0.000020 (Tier 1); active vCPU-s = 1 CU, GB-s = 0.15 CU, 10,000 calls = 75 CU.
    quotaPeriodMs: 100,
    price: { perGBSecond: 0.15 * 0.00002, perVcpuSecond: 0.00002, perRequest: 0.0075 * 0.00002, granularityMs: 1 },
    limits: {
      payloadMB: 32, payloadInflation: 1, packageMB: 10240, runtimePackageMB: 120, timeoutMs: 86_400_000,
      maxParallel: 8,
    },
    hop: { overheadMs: 12, bandwidthMBps: 80, invokeMs: 2 },
    shm: { available: false, overheadMs: 0, bandwidthMBps: 0 },
    objectStore: { putUSD: 0.01 / 10000, getUSD: 0.01 / 10000, latencyMs: 30, bandwidthMBps: 80 },
    coldStart: { sandboxMs: 300, runtimeInitMs: 250 },
    orchestration: { entry: K8S_ENTRY },
    notes: {
      'orchestration.entry': 'our assumption: no deploy target writes Function Compute; an entry function of 256 MB and 0.25 vCPU like our Kubernetes entry (allowed: 1 GB per vCPU, 64 MB steps), billed as an invocation for the whole request, no orchestration service (as of 2026-12)',
      'quotaPeriodMs': 'our assumption: the Linux CFS default of 100 ms; Function Compute does not document how a fraction of a vCPU is enforced (as of 2026-12)',
      'memory': 'alibabacloud.com/help/en/functioncompute/fc-3-0 instance specifications: 128 MB–32 GB in 64 MB steps (as of 2024-09)',
      'cpu': 'same: 0.05–16 vCPU in 0.05 steps, memory:vCPU between 1 GB and 4 GB per vCPU (as of 2024-09)',
      'price': 'alibabacloud.com/help/en/functioncompute/fc-3-0/product-overview/billing-overview-1: CU Tier 1 $0.000020 (list price, not the promotional one); factors: 1 CU per active vCPU-s, 0.15 CU per GB-s, 75 CU per 10,000 invocations; billed per ms on demand (as of 2024-08-27)',
      'limits.payloadMB': 'FC 3.0 limits: 32 MB synchronous invocation payload (as of 2024-09)',
      'limits.packageMB': 'container image; 10 GB is our planning bound (as of 2024-09)',
      'hop': 'our estimate of a warm in-region invocation, as of 2024-09',
      'objectStore': 'OSS Standard request price ~$0.01 per 10,000 requests (alibabacloud.com/product/oss/pricing, as of 2024-09); latency/bandwidth our estimates',
      'coldStart.sandboxMs': 'our estimate of a secure-container start from a cached image (FaaSNet, Wang et al., USENIX ATC 2021, studies image provisioning on Function Compute), as of 2026-12',
      'coldStart.runtimeInitMs': 'our estimate: Node.js 20 + onnxruntime-node import, as on Lambda, as of 2026-12',
    },
  },
  {
    id: 'openfaas',
    name: 'OpenFaaS on Kubernetes (requests = limits, m5.xlarge-class nodes)',
    memory: { minMB: 64, maxMB: 15360, stepMB: 1 },
    cpu: { kind: 'independent', minVcpu: 0.05, maxVcpu: 4, stepVcpu: 0.05 },
    // A 4 vCPU / 16 GiB node at $0.192/h, two thirds of it attributed to CPU and one third to memory.
    quotaPeriodMs: 100,
    price: { perGBSecond: 0.192 / 3 / 16 / 3600, perVcpuSecond: 0.192 * 2 / 3 / 4 / 3600, perRequest: 0, granularityMs: 1 },
    limits: {
      payloadMB: null, payloadInflation: 1, packageMB: 10240, runtimePackageMB: 120, timeoutMs: 300_000,
      maxParallel: 4,
    },
    hop: { overheadMs: 3, bandwidthMBps: 300, invokeMs: 2 },
    shm: { available: true, overheadMs: 0.5, bandwidthMBps: 2000 },
    objectStore: { putUSD: 0, getUSD: 0, latencyMs: 5, bandwidthMBps: 300 },
    coldStart: { sandboxMs: 1000, runtimeInitMs: 250 },
    orchestration: { entry: K8S_ENTRY },
    notes: {
      'orchestration.entry': 'what `mopar deploy --target openfaas|knative` writes: the entry service (256Mi, 250m requests = limits) that chains the slices and waits for them (src/deploy/openfaas.ts, knative.ts), billed as reserved resources for the request duration like a function; no orchestration service (as of 2024-06)',
      'quotaPeriodMs': 'kubernetes.io/docs/concepts/configuration/manage-resources-containers: a CPU limit is a CFS quota per 100 ms period (cpu.cfs_period_us default); the embedded runtime uses the same period (core/cgroup.ts) (as of 2024-06)',
      'memory': 'Kubernetes memory requests in any MiB; 15 GiB = a 16 GiB node less system reserve (our choice, as of 2024-06)',
      'cpu': 'Kubernetes CPU requests in millicores; we plan in 0.05 vCPU steps up to a 4 vCPU node (as of 2024-06)',
      'price': 'reserved resources for the request duration at the on-demand price of an AWS m5.xlarge (4 vCPU, 16 GiB, $0.192/h us-east-1, aws.amazon.com/ec2/pricing, as of 2024-06), split 2/3 CPU, 1/3 memory (our assumption; nodes assumed fully packed)',
      'limits.payloadMB': 'OpenFaaS gateway has no fixed body limit (timeouts bound it instead), as of 2024-06',
      'limits.timeoutMs': 'our default gateway/watchdog timeouts (5 min), as of 2024-06',
      'hop': 'our estimate of gateway → watchdog → function on one cluster network, as of 2024-06',
      'shm': 'co-located function pods sharing a node can hand tensors over /dev/shm (our runtime); our estimate',
      'objectStore': 'in-cluster MinIO: no per-request price; latency/bandwidth our estimates (as of 2024-06)',
      'coldStart.sandboxMs': 'our estimate of a pod start with the image on the node (scheduling, sandbox, container start); the Kubernetes pod-startup SLO allows 5 s at p99 without image pulls (github.com/kubernetes/community, sig-scalability/slos/pod_startup_latency.md), as of 2026-12',
      'coldStart.runtimeInitMs': 'our estimate: Node.js 20 + onnxruntime-node import, as on Lambda, as of 2026-12',
    },
  },
];

/**
 * Variants of a platform with another packaging, planned for on request (`--platform ID`) but not part of the
 * default bench matrix. AWS Lambda with zip packaging: 250 MB unzipped per function (the runtime takes ~120 MB of
 * it), so a model with over ~130 MB of weights cannot be one function there at all (issue 15's model over a
 * platform limit: VGG-16, 528 MB, and its 392 MB fc6 alone).
 */
export const PLATFORM_VARIANTS: readonly Platform[] = [(() => {
  const lambda = PLATFORMS.find((x) => x.id === 'aws-lambda')!;
  return {
    ...lambda, id: 'aws-lambda-zip', name: 'AWS Lambda (x86, us-east-1), zip packages',
    limits: { ...lambda.limits, packageMB: 250 },
    notes: { ...lambda.notes, 'limits.packageMB': 'docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 250 MB unzipped deployment package (zip, layers included), as of 2024-06; runtime size is our measurement estimate', 'warmup': 'aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase: the INIT phase of zip-packaged managed-runtime functions is billed since 2025-08-01 (free before); idle environments between invocations are not billed' },
  };
})()];

export function getPlatform(id: string): Platform {
  const p = PLATFORMS.find((x) => x.id === id) ?? PLATFORM_VARIANTS.find((x) => x.id === id);
  if (!p) throw new MoparError(`unknown platform '${id}' (known: ${[...PLATFORMS, ...PLATFORM_VARIANTS].map((x) => x.id).join(', ')})`);
  return p;
}
