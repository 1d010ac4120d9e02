/**
 * Intra-op threads a function host runs under a CPU quota of `vcpu` cores, and the share of that quota those threads
 * can actually turn into speed. Measured with bench/quota-threads.ts (2 cores, cgroup v1, 100 ms CFS period):
 * one thread under a 1.25-core quota runs at one core's speed (ViT-B/16 303 ms vs 302 ms at 1.0); two threads
 * there are throttled mid-operator and gain little (286 ms p50, bimodal on ResNet-50). From 1.5 cores two threads
 * track the log-log curve between whole cores (ViT 221 ms vs 216 ms interpolated).
 */
export function threadsFor(vcpu: number): number {
  return Math.max(1, Math.round(vcpu));
}

/**
 * The CPU share whose speed a host at `vcpu` reaches: a quota above its thread count buys nothing (the threads
 * cannot use it), while a quota below its thread count binds (the curve between whole cores models that).
 */
export function usableVcpu(vcpu: number): number {
  return Math.min(vcpu, threadsFor(vcpu));
}
