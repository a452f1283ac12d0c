/**
 * KubeletConfiguration, kubelet.config.k8s.io/v1beta1, in its JSON field names.
 * (Stub: the configuration work completes every field and its default.)
 */
export interface KubeletConfiguration {
  apiVersion: 'kubelet.config.k8s.io/v1beta1';
  kind: 'KubeletConfiguration';
  healthzPort: number;
  healthzBindAddress: string;
  staticPodPath?: string;
  [field: string]: unknown;
}
