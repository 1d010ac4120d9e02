/**
 * The one chart pipeline: a vega-lite spec → SVG (vega, headless) → PNG (resvg), for `profile --plot` and the
 * bench reports. The packages load on first use: most processes never draw, and the deploy bundles keep them
 * external.
 */
import type * as vl from 'vega-lite';

/** The packages this pipeline loads: bundlers keep them external (resvg's native binding cannot be bundled). */
export const CHART_PACKAGES = ['vega', 'vega-lite', '@resvg/resvg-js'];

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const [vegaLite, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  return new Resvg(svg, { font: { loadSystemFonts: true }, background: 'white', fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
}
