/** Usage metering: totals in memory and one metadata-only log line per request (the `meter` section). */
export { usageMeter, type UsageMeterOptions, type UsageMeterPlugin, type UsageTotals } from './usage-meter.js';
