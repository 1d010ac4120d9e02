/** The shared dataflow cases against verify's in-process pipeline (openPipeline). */
import { openPipeline } from '../../src/partition/index.js';
import { dataflowSuite } from '../fixtures/dataflow-cases.js';

dataflowSuite({
  name: 'openPipeline (verify)',
  async open(dir) {
    const p = await openPipeline(dir, { threads: 1 });
    return { run: async (feeds) => (await p.run(feeds)).outputs, close: () => p.close() };
  },
});
