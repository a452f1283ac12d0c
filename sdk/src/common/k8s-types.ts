/**
 * Kubernetes core/v1 objects in their exact JSON shape (types only, from kubernetes-types).
 * Pods cross the wire as this JSON, so fields these types predate still arrive intact.
 */
export type {
  Pod,
  PodSpec,
  PodStatus,
  PodCondition,
  Container,
  ContainerStatus,
  ContainerPort,
  EnvVar,
  ResourceRequirements,
  SecurityContext,
  PodSecurityContext,
  Sysctl,
  Volume,
  VolumeMount,
  Node,
  NodeStatus,
  NodeCondition,
} from 'kubernetes-types/core/v1.js';
export type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
