/**
 * Dependency-free SVG plots of training runs and results: the per-run report page
 * ({@link writeRunPlots}) and the accuracy-against-overhead plot of a results CSV
 * ({@link writeResultsPlot}), built on a small chart and SVG writer.
 *
 * @module
 */
export {
  chart,
  type ChartOptions,
  type HLine,
  type MarkerShape,
  type PointLabel,
  type Series,
} from "./chart.ts";
export { el, escapeXml, num, PALETTE, svgDocument, text } from "./svg.ts";
export { decimate, extent, formatTick, linear, niceTicks } from "./scale.ts";
export { assertWellFormed, checkXml, type XmlSummary } from "./xml.ts";
export { type EpochRecord, parseRunLog, readRun, type RunData, type StepRecord } from "../train/run_log.ts";
export {
  accuracyChart,
  decisionChart,
  FIRED_CLASS,
  lossChart,
  runReportHtml,
  writeRunPlots,
} from "./run_report.ts";
export {
  configLabel,
  POINT_CLASS,
  resultPoints,
  resultsChart,
  resultsPlotPath,
  writeResultsPlot,
} from "./results_plot.ts";
