/** The shared dataflow cases against the embedded runtime (ServedModel: function host processes). */
import { DEFAULT_RUNTIME, ServedModel, loadServable } from '../../src/runtime/index.js';
import { dataflowSuite } from '../fixtures/dataflow-cases.js';

dataflowSuite({
  name: 'ServedModel (serve)',
  async open(dir) {
    const { manifest, dir: served } = loadServable(dir);
    const model = new ServedModel('case', manifest, served, { ...DEFAULT_RUNTIME, enforceLimits: false });
    return { run: async (feeds) => (await model.infer(feeds)).outputs, close: () => model.close() };
  },
});
