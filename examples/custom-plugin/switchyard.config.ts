/** The custom plugin in a config: node bin/switchyard.js start --config examples/custom-plugin/switchyard.config.ts */
import { defineConfig, mock } from '../../index.js';
import { piiRedactor } from './pii-redactor.js';

export default defineConfig({
  providers: [mock()],
  plugins: [piiRedactor({ emailMask: '<redacted email>' })],
});
