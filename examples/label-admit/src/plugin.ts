import { admit, definePlugin, reject } from '@kernelet/sdk';

/** The label that keeps a pod off this node, unless the plugin's config names another. */
export const DEFAULT_LABEL = 'kernelet.io/deny';

interface LabelAdmitConfig {
  label?: string;
}

/** Refuses every pod that carries the label (any value), admits the rest. */
export const labelAdmitPlugin = definePlugin({
  name: 'label-admit',
  admitHandler: {
    admit(pod, ctx) {
      const label = (ctx.pluginConfig as LabelAdmitConfig).label ?? DEFAULT_LABEL;
      const value = pod.metadata?.labels?.[label];
      if (value === undefined) return admit();
      return reject('PodLabelDenied', `pods labelled ${label} (here "${value}") may not run on node ${ctx.nodeName}`);
    },
  },
});
