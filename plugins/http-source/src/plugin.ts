import { definePlugin } from '@kernelet/sdk';
import { HttpSource } from './http-source.js';
import { httpSourceSettings } from './settings.js';

export { HttpSource, type HttpSourceOptions } from './http-source.js';
export {
  DEFAULT_HTTP_CHECK_FREQUENCY_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  httpSourceSettings,
  redactURL,
  type HttpSourcePluginConfig,
  type HttpSourceSettings,
} from './settings.js';

/**
 * Static pods from a URL: the agent's staticPodURL, fetched with staticPodURLHeader every
 * httpCheckFrequency, reported as the "http" source.
 */
export const httpSourcePlugin = definePlugin({
  name: 'http-source',
  podSource: {
    source: 'http',
    run(sink, ctx) {
      const logger = ctx.logger.child({ source: 'http' });
      const settings = httpSourceSettings(ctx.kubeletConfig, ctx.pluginConfig, logger);
      if (settings.url === undefined) {
        logger.info({}, 'no usable staticPodURL; no static pods from a URL');
        sink.set([]);
        return;
      }
      const source = new HttpSource({ ...settings, url: settings.url, nodeName: ctx.nodeName, sink, logger });
      source.start();
      return () => source.stop();
    },
  },
});
