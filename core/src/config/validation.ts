/**
 * Validation of the final, merged KubeletConfiguration: the rules of upstream's
 * ValidateKubeletConfiguration plus the checks the kubelet makes while building its managers
 * (policies, policy options, eviction thresholds, reservations, cpusets). Every problem is
 * reported, each with its field path and the offending value.
 */
import * as path from 'node:path';
import { CPUSet, CPUSetError, Quantity } from '@kernelet/sdk/common';
import { parseDurationNanos } from './duration.js';
import { checkSoftEviction, checkThresholdMap } from './eviction-thresholds.js';
import type { FeatureGates } from './feature-gates.js';
import { imagePatternProblem } from './image-pattern.js';
import type { KubeletConfiguration } from './kubelet-configuration.js';
import { checkManagerPolicies } from './manager-policies.js';
import { keyPath, ProblemList, type ConfigProblem } from './problem.js';
import { checkReservations, checkReservedMemorySum } from './reserved-memory.js';
import { TARGET_RELEASE } from './schema.js';
import { taintProblems } from './taint.js';

const ENFORCEMENT_LEVELS = ['pods', 'system-reserved', 'system-reserved-compressible', 'kube-reserved', 'kube-reserved-compressible', 'none'];
const RESERVABLE_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pid'];
/** The only showHiddenMetricsForVersion a v1.34 kubelet accepts. */
const PREVIOUS_MINOR_VERSION = `${TARGET_RELEASE.major}.${TARGET_RELEASE.minor - 1}`;

export function validateKubeletConfiguration(kc: KubeletConfiguration, gates: FeatureGates): ConfigProblem[] {
  const problems = new ProblemList();
  const add = (field: string, message: string): void => problems.add(field, message);

  if (kc.nodeLeaseDurationSeconds <= 0) add('nodeLeaseDurationSeconds', `${kc.nodeLeaseDurationSeconds} must be greater than 0`);
  if (nonEmpty(kc.systemCgroups) && !nonEmpty(kc.cgroupRoot)) add('systemCgroups', `"${kc.systemCgroups}" needs cgroupRoot to be set`);
  nonNegative(problems, 'eventBurst', kc.eventBurst);
  nonNegative(problems, 'eventRecordQPS', kc.eventRecordQPS);
  nonNegative(problems, 'kubeAPIBurst', kc.kubeAPIBurst);
  nonNegative(problems, 'kubeAPIQPS', kc.kubeAPIQPS);
  nonNegative(problems, 'maxOpenFiles', kc.maxOpenFiles);
  nonNegative(problems, 'maxPods', kc.maxPods);
  nonNegative(problems, 'podsPerCore', kc.podsPerCore ?? 0);
  nonNegative(problems, 'registryBurst', kc.registryBurst);
  nonNegative(problems, 'registryPullQPS', kc.registryPullQPS);
  if (kc.healthzPort !== 0) portInRange(problems, 'healthzPort', kc.healthzPort);
  portInRange(problems, 'port', kc.port);
  if ((kc.readOnlyPort ?? 0) !== 0) portInRange(problems, 'readOnlyPort', kc.readOnlyPort ?? 0);

  const quotaPeriod = durationNanos(problems, 'cpuCFSQuotaPeriod', kc.cpuCFSQuotaPeriod);
  if (quotaPeriod !== undefined) {
    if (!gates.enabled('CustomCPUCFSQuotaPeriod') && quotaPeriod !== 100_000_000n) {
      add('cpuCFSQuotaPeriod', `${kc.cpuCFSQuotaPeriod} needs feature gate CustomCPUCFSQuotaPeriod`);
    } else if (gates.enabled('CustomCPUCFSQuotaPeriod') && (quotaPeriod < 1_000_000n || quotaPeriod > 1_000_000_000n)) {
      add('cpuCFSQuotaPeriod', `${kc.cpuCFSQuotaPeriod} must be between 1ms and 1s, inclusive`);
    }
  }
  inRange(problems, 'imageGCHighThresholdPercent', kc.imageGCHighThresholdPercent, 0, 100);
  inRange(problems, 'imageGCLowThresholdPercent', kc.imageGCLowThresholdPercent, 0, 100);
  if (kc.imageGCLowThresholdPercent >= kc.imageGCHighThresholdPercent) {
    add('imageGCLowThresholdPercent', `${kc.imageGCLowThresholdPercent} must be less than imageGCHighThresholdPercent (${kc.imageGCHighThresholdPercent})`);
  }
  const maxGCAge = durationNanos(problems, 'imageMaximumGCAge', kc.imageMaximumGCAge) ?? 0n;
  const minGCAge = durationNanos(problems, 'imageMinimumGCAge', kc.imageMinimumGCAge) ?? 0n;
  if (maxGCAge !== 0n && !gates.enabled('ImageMaximumGCAge')) add('imageMaximumGCAge', `${kc.imageMaximumGCAge} needs feature gate ImageMaximumGCAge`);
  if (minGCAge < 0n) add('imageMinimumGCAge', `${kc.imageMinimumGCAge} must not be negative`);
  if (maxGCAge < 0n) add('imageMaximumGCAge', `${kc.imageMaximumGCAge} must not be negative`);
  if (maxGCAge > 0n && maxGCAge <= minGCAge) {
    add('imageMaximumGCAge', `${kc.imageMaximumGCAge} must be greater than imageMinimumGCAge (${kc.imageMinimumGCAge})`);
  }
  inRange(problems, 'iptablesDropBit', kc.iptablesDropBit, 0, 31);
  inRange(problems, 'iptablesMasqueradeBit', kc.iptablesMasqueradeBit, 0, 31);
  if (kc.nodeStatusMaxImages < -1) add('nodeStatusMaxImages', `${kc.nodeStatusMaxImages} must be -1 or greater`);
  inRange(problems, 'oomScoreAdj', kc.oomScoreAdj, -1000, 1000);
  if (kc.maxParallelImagePulls !== undefined && kc.maxParallelImagePulls < 1) {
    add('maxParallelImagePulls', `${kc.maxParallelImagePulls} must be a positive number`);
  }
  if (kc.serializeImagePulls && (kc.maxParallelImagePulls ?? 0) > 1) {
    add('maxParallelImagePulls', `${kc.maxParallelImagePulls} cannot be larger than 1 unless serializeImagePulls is false`);
  }
  if (kc.serverTLSBootstrap === true && !gates.enabled('RotateKubeletServerCertificate')) {
    add('serverTLSBootstrap', 'true needs feature gate RotateKubeletServerCertificate');
  }
  if (kc.runOnce === true) add('runOnce', 'true is not allowed: run-once mode is deprecated and must not be set');
  (kc.registerWithTaints ?? []).forEach((taint, i) => {
    const at = keyPath('registerWithTaints', i);
    for (const problem of taintProblems(taint)) add(`${at}.${problem.field}`, problem.message);
    if (taint.timeAdded !== undefined) add(`${at}.timeAdded`, 'must not be set');
  });
  const hiddenMetrics = kc.showHiddenMetricsForVersion;
  if (nonEmpty(hiddenMetrics) && hiddenMetrics !== PREVIOUS_MINOR_VERSION) {
    add('showHiddenMetricsForVersion', `"${hiddenMetrics}" is not allowed: only the previous minor version "${PREVIOUS_MINOR_VERSION}" may be set`);
  }

  checkManagerPolicies(kc, gates, problems);
  checkShutdown(kc, gates, problems);
  checkSwap(kc, gates, problems);
  checkEnforcement(kc, problems);
  oneOf(problems, 'hairpinMode', kc.hairpinMode, ['promiscuous-bridge', 'hairpin-veth', 'none']);
  oneOf(problems, 'cgroupDriver', kc.cgroupDriver, ['cgroupfs', 'systemd']);
  oneOf(problems, 'authorization.mode', kc.authorization.mode ?? '', ['AlwaysAllow', 'Webhook']);
  oneOf(problems, 'configMapAndSecretChangeDetectionStrategy', kc.configMapAndSecretChangeDetectionStrategy, ['Get', 'Cache', 'Watch']);
  checkImagePullCredentials(kc, gates, problems);

  if (nonEmpty(kc.reservedSystemCPUs)) {
    if (nonEmpty(kc.systemReservedCgroup) || nonEmpty(kc.kubeReservedCgroup)) {
      add('reservedSystemCPUs', `"${kc.reservedSystemCPUs}" cannot be used with systemReservedCgroup or kubeReservedCgroup`);
    }
    try {
      CPUSet.parse(kc.reservedSystemCPUs ?? '');
    } catch (err) {
      if (!(err instanceof CPUSetError)) throw err;
      add('reservedSystemCPUs', err.message);
    }
  }
  checkReservedResources('kubeReserved', kc.kubeReserved, problems);
  checkReservedResources('systemReserved', kc.systemReserved, problems);
  checkQosReserved(kc.qosReserved, problems);
  checkThresholdMap('evictionHard', kc.evictionHard, problems);
  checkThresholdMap('evictionSoft', kc.evictionSoft, problems);
  checkThresholdMap('evictionMinimumReclaim', kc.evictionMinimumReclaim, problems);
  checkSoftEviction(kc.evictionSoft, kc.evictionSoftGracePeriod, problems);
  checkReservations(kc.reservedMemory ?? [], problems);
  checkReservedMemorySum(kc, problems);

  if (Quantity.tryParse(kc.containerLogMaxSize) === undefined) add('containerLogMaxSize', `invalid quantity "${kc.containerLogMaxSize}"`);
  if (kc.containerLogMaxFiles < 2) add('containerLogMaxFiles', `${kc.containerLogMaxFiles} must be at least 2`);
  if (kc.containerLogMaxWorkers < 1) add('containerLogMaxWorkers', `${kc.containerLogMaxWorkers} must be at least 1`);
  const monitor = durationNanos(problems, 'containerLogMonitorInterval', kc.containerLogMonitorInterval);
  if (monitor !== undefined && monitor < 3_000_000_000n) add('containerLogMonitorInterval', `${kc.containerLogMonitorInterval} must be at least 3s`);
  if (kc.memoryThrottlingFactor <= 0 || kc.memoryThrottlingFactor > 1) {
    add('memoryThrottlingFactor', `${kc.memoryThrottlingFactor} must be greater than 0 and at most 1.0`);
  }
  if (kc.containerRuntimeEndpoint === '') add('containerRuntimeEndpoint', 'must not be empty');
  if (kc.enableSystemLogQuery && !gates.enabled('NodeLogQuery')) add('enableSystemLogQuery', 'true needs feature gate NodeLogQuery');
  if (kc.enableSystemLogQuery && !kc.enableSystemLogHandler) add('enableSystemLogQuery', 'true needs enableSystemLogHandler');
  checkPodLogsDir(kc.podLogsDir, problems);
  checkLogging(kc, gates, problems);
  if (kc.tracing !== undefined && !gates.enabled('KubeletTracing')) add('tracing', 'must not be set unless feature gate KubeletTracing is enabled');
  if (kc.tracing?.samplingRatePerMillion !== undefined) inRange(problems, 'tracing.samplingRatePerMillion', kc.tracing.samplingRatePerMillion, 0, 1_000_000);
  const restartPeriod = durationNanos(problems, 'crashLoopBackOff.maxContainerRestartPeriod', kc.crashLoopBackOff.maxContainerRestartPeriod);
  if (restartPeriod !== undefined) {
    if (!gates.enabled('KubeletCrashLoopBackOffMax')) {
      add('crashLoopBackOff.maxContainerRestartPeriod', `${kc.crashLoopBackOff.maxContainerRestartPeriod} needs feature gate KubeletCrashLoopBackOffMax`);
    } else if (restartPeriod < 1_000_000_000n || restartPeriod > 300_000_000_000n) {
      add('crashLoopBackOff.maxContainerRestartPeriod', `${kc.crashLoopBackOff.maxContainerRestartPeriod} must be between 1s and 300s`);
    }
  } else if (gates.enabled('KubeletCrashLoopBackOffMax') && kc.crashLoopBackOff.maxContainerRestartPeriod === undefined) {
    // Defaulting fills it only when the gate is on where defaults run (the --config file and the
    // command-line gates); a gate turned on by a drop-in alone leaves it unset, as upstream.
    add('crashLoopBackOff.maxContainerRestartPeriod', 'must be set while feature gate KubeletCrashLoopBackOffMax is enabled');
  }
  const idsPerPod = kc.userNamespaces?.idsPerPod;
  if (idsPerPod !== undefined && (idsPerPod <= 0 || idsPerPod % 65536 !== 0 || idsPerPod >= 2 ** 32)) {
    add('userNamespaces.idsPerPod', `${idsPerPod} must be a positive multiple of 65536 below 2^32`);
  }
  return problems.problems;
}

function checkShutdown(kc: KubeletConfiguration, gates: FeatureGates, problems: ProblemList): void {
  const period = durationNanos(problems, 'shutdownGracePeriod', kc.shutdownGracePeriod) ?? 0n;
  const critical = durationNanos(problems, 'shutdownGracePeriodCriticalPods', kc.shutdownGracePeriodCriticalPods) ?? 0n;
  const byPriority = kc.shutdownGracePeriodByPodPriority ?? [];
  if (gates.enabled('GracefulNodeShutdown')) {
    if (critical > period) {
      problems.add('shutdownGracePeriodCriticalPods', `${kc.shutdownGracePeriodCriticalPods} must be <= shutdownGracePeriod (${kc.shutdownGracePeriod})`);
    }
    if (period < 0n || (period > 0n && period < 1_000_000_000n)) problems.add('shutdownGracePeriod', `${kc.shutdownGracePeriod} must be zero or at least 1s`);
    if (critical < 0n || (critical > 0n && critical < 1_000_000_000n)) {
      problems.add('shutdownGracePeriodCriticalPods', `${kc.shutdownGracePeriodCriticalPods} must be zero or at least 1s`);
    }
  } else if (period > 0n || critical > 0n) {
    problems.add('shutdownGracePeriod', 'shutdownGracePeriod and shutdownGracePeriodCriticalPods need feature gate GracefulNodeShutdown');
  }
  if (byPriority.length > 0) {
    if (!gates.enabled('GracefulNodeShutdownBasedOnPodPriority')) {
      problems.add('shutdownGracePeriodByPodPriority', 'needs feature gate GracefulNodeShutdownBasedOnPodPriority');
    } else if (period > 0n || critical > 0n) {
      problems.add('shutdownGracePeriodByPodPriority', 'cannot be set together with shutdownGracePeriod or shutdownGracePeriodCriticalPods');
    }
  }
}

function checkSwap(kc: KubeletConfiguration, gates: FeatureGates, problems: ProblemList): void {
  const behavior = kc.memorySwap.swapBehavior;
  if (behavior === undefined || behavior === '') return;
  if (!gates.enabled('NodeSwap')) {
    problems.add('memorySwap.swapBehavior', `"${behavior}" cannot be set while feature gate NodeSwap is disabled`);
  } else {
    oneOf(problems, 'memorySwap.swapBehavior', behavior, ['NoSwap', 'LimitedSwap']);
  }
}

function checkEnforcement(kc: KubeletConfiguration, problems: ProblemList): void {
  const levels = kc.enforceNodeAllocatable;
  const seen = new Set<string>();
  levels.forEach((level, i) => {
    const at = keyPath('enforceNodeAllocatable', i);
    if (seen.has(level)) {
      problems.add(at, `duplicate entry "${level}"`);
      return;
    }
    seen.add(level);
    if (!ENFORCEMENT_LEVELS.includes(level)) {
      problems.add(at, `unknown option "${level}" (valid: ${ENFORCEMENT_LEVELS.join(', ')})`);
      return;
    }
    if (level === 'none') {
      // "none" enforces nothing, so it needs no QoS cgroups; it only must stand alone.
      if (levels.length > 1) problems.add(at, '"none" cannot be combined with other options');
      return;
    }
    if (level.startsWith('system-reserved') && !nonEmpty(kc.systemReservedCgroup)) problems.add(at, `"${level}" needs systemReservedCgroup`);
    if (level.startsWith('kube-reserved') && !nonEmpty(kc.kubeReservedCgroup)) problems.add(at, `"${level}" needs kubeReservedCgroup`);
    if (!kc.cgroupsPerQOS) problems.add(at, `"${level}" needs cgroupsPerQOS to be true`);
  });
  for (const base of ['system-reserved', 'kube-reserved']) {
    if (levels.includes(base) && levels.includes(`${base}-compressible`)) {
      problems.add('enforceNodeAllocatable', `"${base}" and "${base}-compressible" cannot both be set`);
    }
  }
}

const IMAGE_PULL_POLICIES = ['NeverVerify', 'NeverVerifyPreloadedImages', 'NeverVerifyAllowlistedImages', 'AlwaysVerify'];

/** The ensure-secret-pulled-images settings exist only while their feature gate is on. */
function checkImagePullCredentials(kc: KubeletConfiguration, gates: FeatureGates, problems: ProblemList): void {
  const policy = kc.imagePullCredentialsVerificationPolicy ?? '';
  const allowlist = kc.preloadedImagesVerificationAllowlist ?? [];
  if (!gates.enabled('KubeletEnsureSecretPulledImages')) {
    if (policy !== '') problems.add('imagePullCredentialsVerificationPolicy', `"${policy}" cannot be set while feature gate KubeletEnsureSecretPulledImages is disabled`);
    if (allowlist.length > 0) problems.add('preloadedImagesVerificationAllowlist', 'cannot be set while feature gate KubeletEnsureSecretPulledImages is disabled');
    return;
  }
  if (policy === '') {
    problems.add('imagePullCredentialsVerificationPolicy', `must be set while feature gate KubeletEnsureSecretPulledImages is enabled (valid: ${IMAGE_PULL_POLICIES.join(', ')})`);
  } else {
    oneOf(problems, 'imagePullCredentialsVerificationPolicy', policy, IMAGE_PULL_POLICIES);
  }
  if (allowlist.length > 0 && policy !== 'NeverVerifyAllowlistedImages') {
    problems.add('preloadedImagesVerificationAllowlist', `can only be set with imagePullCredentialsVerificationPolicy NeverVerifyAllowlistedImages, not "${policy}"`);
    return;
  }
  allowlist.forEach((pattern, i) => {
    const reason = imagePatternProblem(pattern);
    if (reason !== undefined) problems.add(keyPath('preloadedImagesVerificationAllowlist', i), `invalid image pattern "${pattern}": ${reason}`);
  });
}

function checkReservedResources(field: string, reserved: Record<string, string> | undefined, problems: ProblemList): void {
  for (const [resource, amount] of Object.entries(reserved ?? {})) {
    const at = keyPath(field, resource);
    if (!RESERVABLE_RESOURCES.includes(resource) && !resource.startsWith('hugepages-')) {
      problems.add(at, `cannot reserve "${resource}" (valid: ${RESERVABLE_RESOURCES.join(', ')})`);
    }
    const quantity = Quantity.tryParse(amount);
    if (quantity === undefined) problems.add(at, `invalid quantity "${amount}"`);
    else if (quantity.sign() < 0) problems.add(at, `quantity "${amount}" must not be negative`);
  }
}

function checkQosReserved(reserved: Record<string, string> | undefined, problems: ProblemList): void {
  for (const [resource, value] of Object.entries(reserved ?? {})) {
    const at = keyPath('qosReserved', resource);
    if (resource !== 'memory') problems.add(at, `cannot reserve "${resource}" per QoS class (only memory)`);
    const m = /^(\d+)%$/.exec(value);
    if (!m || Number(m[1]) > 100) problems.add(at, `invalid percentage "${value}" (want 0% to 100%)`);
  }
}

function checkPodLogsDir(dir: string, problems: ProblemList): void {
  if (dir === '') {
    problems.add('podLogsDir', 'must not be empty');
    return;
  }
  if (!path.isAbsolute(dir)) problems.add('podLogsDir', `"${dir}" must be an absolute path`);
  else if (path.normalize(dir).replace(/\/$/, '') !== dir.replace(/\/$/, '')) problems.add('podLogsDir', `"${dir}" must be a normalized path`);
  if (/[^\x20-\x7e]/.test(dir)) problems.add('podLogsDir', `"${dir}" must contain ASCII characters only`);
}

function checkLogging(kc: KubeletConfiguration, gates: FeatureGates, problems: ProblemList): void {
  const format = kc.logging.format ?? 'text';
  if (format !== 'text' && format !== 'json') problems.add('logging.format', `unknown format "${format}" (valid: text, json)`);
  if (kc.logging.vmodule !== undefined && kc.logging.vmodule.length > 0 && format !== 'text') {
    problems.add('logging.vmodule', 'is only supported with the text format');
  }
  const options = kc.logging.options;
  const usesAlpha = [options?.text, options?.json].some((o) => o?.splitStream === true || (o?.infoBufferSize !== undefined && o.infoBufferSize !== '0'));
  if (usesAlpha && !gates.enabled('LoggingAlphaOptions')) problems.add('logging.options', 'needs feature gate LoggingAlphaOptions');
}

function durationNanos(problems: ProblemList, field: string, text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDurationNanos(text);
  } catch (err) {
    problems.add(field, (err as Error).message);
    return undefined;
  }
}

function nonNegative(problems: ProblemList, field: string, value: number): void {
  if (value < 0) problems.add(field, `${value} must not be negative`);
}

function inRange(problems: ProblemList, field: string, value: number, min: number, max: number): void {
  if (value < min || value > max) problems.add(field, `${value} must be between ${min} and ${max}, inclusive`);
}

function portInRange(problems: ProblemList, field: string, value: number): void {
  if (value < 1 || value > 65535) problems.add(field, `${value} must be between 1 and 65535, inclusive`);
}

function oneOf(problems: ProblemList, field: string, value: string, valid: readonly string[]): void {
  if (!valid.includes(value)) problems.add(field, `unknown value "${value}" (valid: ${valid.join(', ')})`);
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}
