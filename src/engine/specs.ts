/**
 * From the resolved manifest to what is sent to Azure: the image definition, the image version
 * (target regions, replicas, storage types, encryption, end of life, tags). Pure mapping.
 */
import type { EndOfLife, ResolvedManifest } from "../core/manifest/model.ts";
import type { RunContext } from "./contract.ts";
import type { DiskSource, ImageDefinitionSpec, ImageVersionSpec } from "./ports.ts";

/** Tag names sig-publish writes on versions, disks and snapshots. */
export const TAG = {
  digest: "sig-publish.digest",
  dataDigest: (lun: number) => `sig-publish.digest.lun-${lun}`,
  commit: "sig-publish.commit",
  run: "sig-publish.run",
  repository: "sig-publish.repository",
  manifest: "sig-publish.manifest",
} as const;

export function definitionSpec(manifest: ResolvedManifest): ImageDefinitionSpec {
  const image = manifest.image;
  const features: Record<string, string> = { ...image.features };
  if (image.securityType !== undefined && image.securityType !== "Standard")
    features["SecurityType"] = image.securityType;
  return {
    location: manifest.gallery.location,
    osType: image.osType,
    osState: image.osState,
    hyperVGeneration: image.hyperVGeneration,
    architecture: image.architecture,
    publisher: image.publisher,
    offer: image.offer,
    sku: image.sku,
    features,
    disallowedDiskTypes: image.disallowedDiskTypes,
    tags: image.tags,
    ...(image.description === undefined ? {} : { description: image.description }),
    ...(image.eula === undefined ? {} : { eula: image.eula }),
    ...(image.privacyStatementUri === undefined ? {} : { privacyStatementUri: image.privacyStatementUri }),
    ...(image.releaseNoteUri === undefined ? {} : { releaseNoteUri: image.releaseNoteUri }),
    ...(image.endOfLifeDate === undefined ? {} : { endOfLifeDate: isoDateTime(image.endOfLifeDate) }),
    ...(image.recommended === undefined ? {} : { recommended: image.recommended }),
    ...(image.purchasePlan === undefined ? {} : { purchasePlan: image.purchasePlan }),
  };
}

/** `2027-06-01` → `2027-06-01T00:00:00.000Z`; full date-times pass through. */
export function isoDateTime(date: string): string {
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T00:00:00Z` : date).toISOString();
}

export function endOfLifeDate(endOfLife: EndOfLife | undefined, publishedAt: Date): string | undefined {
  if (endOfLife === undefined) return undefined;
  if (endOfLife.kind === "date") return isoDateTime(endOfLife.date);
  return new Date(publishedAt.getTime() + endOfLife.days * 86_400_000).toISOString();
}

export interface VersionSources {
  readonly os: DiskSource;
  readonly data: readonly { readonly lun: number; readonly source: DiskSource }[];
}

export function provenanceTags(
  manifest: ResolvedManifest,
  context: RunContext,
  digests: { readonly os: string; readonly data: readonly { lun: number; digest: string }[] },
): Record<string, string> {
  const tags: Record<string, string> = { [TAG.digest]: digests.os, [TAG.manifest]: manifest.file };
  for (const d of digests.data) tags[TAG.dataDigest(d.lun)] = d.digest;
  if (context.commitSha !== undefined) tags[TAG.commit] = context.commitSha;
  if (context.runUrl !== undefined) tags[TAG.run] = context.runUrl;
  if (context.repository !== undefined) tags[TAG.repository] = context.repository;
  return tags;
}

export function versionSpec(
  manifest: ResolvedManifest,
  sources: VersionSources,
  tags: Readonly<Record<string, string>>,
  publishedAt: Date,
): ImageVersionSpec {
  const policy = manifest.version;
  const eol = endOfLifeDate(policy.endOfLife, publishedAt);
  return {
    location: manifest.gallery.location,
    targetRegions: policy.targetRegions.map((r) => ({
      name: r.name,
      replicas: r.replicas,
      storageAccountType: r.storageAccountType,
      ...(r.encryption === undefined ? {} : { encryption: r.encryption }),
    })),
    replicaCount: policy.replicaCount,
    storageAccountType: policy.storageAccountType,
    replicationMode: policy.replicationMode,
    // With promote: afterReplication the version starts hidden from `latest` and is promoted
    // once every region completed.
    excludeFromLatest: policy.excludeFromLatest || policy.promote === "afterReplication",
    ...(eol === undefined ? {} : { endOfLifeDate: eol }),
    osDisk: sources.os,
    dataDisks: sources.data,
    tags,
  };
}
