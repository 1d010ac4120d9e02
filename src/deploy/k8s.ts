/**
 * What the Kubernetes-based targets (OpenFaaS, Knative) share: resource quantities, the pod security context of
 * the official Node images' `node` user, and the script that builds and pushes the function images.
 */
import { GENERATED } from './folder.js';

export const cpuQuantity = (vcpu: number) => `${Math.max(1, Math.round(vcpu * 1000))}m`;
export const memQuantity = (mb: number) => `${Math.max(1, Math.ceil(mb))}Mi`;

/** uid of the `node` user in the official Node images (numeric, so that runAsNonRoot can be verified). */
export const NODE_UID = 1000;

export const SECURITY_CONTEXT = {
  runAsNonRoot: true, runAsUser: NODE_UID, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
};

/** Builds and pushes exactly the images the manifest file names (`<image> <folder>` lines). */
export function buildImagesScript(images: readonly string[]): string {
  return `#!/bin/sh
# ${GENERATED} Builds and pushes the image of every function folder, tagged by the folder's content hash.
set -eu
cd "$(dirname "$0")"
while read -r image dir; do
  docker build -t "$image" "$dir"
  docker push "$image"
done <<'IMAGES'
${images.join('\n')}
IMAGES
`;
}
