import { definePlugin } from '@kernelet/sdk';
import { FileSource } from './file-source.js';
import { fileSourceSettings } from './settings.js';

export { FileSource, type FileSourceOptions } from './file-source.js';
export { DEFAULT_FILE_CHECK_FREQUENCY_MS, fileSourceSettings, type FileSourceSettings } from './settings.js';

/**
 * Static pods from files: every manifest in the agent's staticPodPath (or the one file it
 * names), watched and listed again every fileCheckFrequency, reported as the "file" source.
 */
export const fileSourcePlugin = definePlugin({
  name: 'file-source',
  podSource: {
    source: 'file',
    run(sink, ctx) {
      const logger = ctx.logger.child({ source: 'file' });
      const settings = fileSourceSettings(ctx.kubeletConfig, logger);
      if (settings.path === undefined) {
        logger.info({}, 'staticPodPath is not set; no static pods from files');
        sink.set([]);
        return;
      }
      const source = new FileSource({ path: settings.path, checkFrequencyMs: settings.checkFrequencyMs, nodeName: ctx.nodeName, sink, logger });
      source.start();
      return () => source.stop();
    },
  },
});
