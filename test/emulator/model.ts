/**
 * The emulator's resources and the service rules they obey. Time is evaluated lazily: every
 * resource records when its operation started and ends, and its provisioningState / replication
 * status is computed from the clock whenever it is read (no timers to clean up).
 */
import { randomUUID } from "node:crypto";
import type { BlobInspector } from "./blobs.ts";
import {
  ArmError,
  invalidParameter,
  parentResourceNotFound,
  propertyChangeNotAllowed,
  resourceNotFound,
} from "./errors.ts";
import { normalizeRegion, type EmulatorFaults } from "./faults.ts";
import type { EmulatorTiming, RegionReplication, ResourceType } from "./types.ts";

type Json = Record<string, unknown>;

export interface RegionPlan {
  name: string;
  startAt: number;
  endAt: number;
  failure?: string;
}

export interface Stored {
  readonly type: ResourceType;
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly subscription: string;
  readonly parentKey?: string;
  readonly seq: number;
  location: string;
  tags?: Record<string, string>;
  sku?: Json;
  properties: Json;
  op: {
    kind: "create" | "update";
    startedAt: number;
    doneAt: number;
    failure?: { code: string; message: string };
  };
  deleting?: { startedAt: number; doneAt: number };
  readonly uniqueId: string;
  readonly timeCreated: string;
  sizeBytes?: number;
  regions?: RegionPlan[];
  publishedDate?: string;
}

export interface Scope {
  readonly subscription: string;
  readonly resourceGroup: string;
}

export interface HandlerResult {
  readonly status: number;
  readonly body?: unknown;
  /** The response starts (or continues) a long-running operation on this resource. */
  readonly lro?: { readonly kind: "create" | "update" | "delete"; readonly key: string };
}

export interface ModelContext {
  readonly now: () => number;
  readonly timing: EmulatorTiming;
  readonly faults: EmulatorFaults;
  readonly blobs: BlobInspector;
  readonly regions: ReadonlySet<string>;
}

const TYPE_NAMES: Record<ResourceType, string> = {
  galleries: "Microsoft.Compute/galleries",
  images: "Microsoft.Compute/galleries/images",
  versions: "Microsoft.Compute/galleries/images/versions",
  disks: "Microsoft.Compute/disks",
  snapshots: "Microsoft.Compute/snapshots",
};

const GALLERY_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.]{0,78}[A-Za-z0-9])?$/;
const IMAGE_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,78}[A-Za-z0-9])?$/;
const DISK_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/;
const VERSION_NAME = /^(\d+)\.(\d+)\.(\d+)$/;
const INT32_MAX = 2147483647;
const GIB = 1024 * 1024 * 1024;

const SECURITY_TYPES = [
  "Standard",
  "TrustedLaunch",
  "TrustedLaunchSupported",
  "ConfidentialVM",
  "ConfidentialVMSupported",
  "TrustedLaunchAndConfidentialVmSupported",
];
const BLOB_ONLY_SECURITY = new Set(["trustedlaunch", "trustedlaunchsupported"]);
const MANAGED_ONLY_SECURITY = new Set(["confidentialvm", "confidentialvmsupported"]);
const GALLERY_STORAGE_TYPES = ["Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS"];
const DISK_SKUS = [
  "Standard_LRS",
  "Premium_LRS",
  "StandardSSD_LRS",
  "UltraSSD_LRS",
  "Premium_ZRS",
  "StandardSSD_ZRS",
  "PremiumV2_LRS",
];
const SNAPSHOT_SKUS = ["Standard_LRS", "Premium_LRS", "Standard_ZRS"];

export class ComputeModel {
  readonly #ctx: ModelContext;
  readonly #resources = new Map<string, Stored>();
  #seq = 0;

  constructor(ctx: ModelContext) {
    this.#ctx = ctx;
  }

  // ---------------------------------------------------------------- ids, lookup, time

  static galleryId(s: Scope, gallery: string): string {
    return `/subscriptions/${s.subscription}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Compute/galleries/${gallery}`;
  }

  static topLevelId(s: Scope, type: "disks" | "snapshots", name: string): string {
    return `/subscriptions/${s.subscription}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Compute/${type}/${name}`;
  }

  /** Live resource by id (case-insensitive); removes it when its deletion has finished. */
  get(id: string): Stored | undefined {
    const key = id.toLowerCase();
    const r = this.#resources.get(key);
    if (r === undefined) return undefined;
    if (r.deleting !== undefined && this.#ctx.now() >= r.deleting.doneAt) {
      this.#resources.delete(key);
      return undefined;
    }
    return r;
  }

  all(type?: ResourceType): Stored[] {
    const out: Stored[] = [];
    for (const r of [...this.#resources.values()]) {
      if (type !== undefined && r.type !== type) continue;
      const live = this.get(r.id);
      if (live !== undefined) out.push(live);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** provisioningState at the current time. */
  provisioningState(r: Stored): string {
    const now = this.#ctx.now();
    if (r.deleting !== undefined) return "Deleting";
    const running = r.op.kind === "create" ? "Creating" : "Updating";
    if (now < r.op.doneAt) return running;
    if (r.op.failure !== undefined) return "Failed";
    if (r.type === "versions") {
      const states = this.replication(r).map((s) => s.state);
      if (states.some((s) => s === "Unknown" || s === "Replicating")) return running;
      if (states.some((s) => s === "Failed")) return "Failed";
    }
    return "Succeeded";
  }

  /** Per-region replication of a version at the current time. */
  replication(r: Stored): RegionReplication[] {
    const now = this.#ctx.now();
    return (r.regions ?? []).map((plan) => regionState(plan, now));
  }

  /** Status of the operation started on `key` (for the operation-status endpoint). */
  operationStatus(
    key: string,
    kind: "create" | "update" | "delete",
  ): {
    status: "InProgress" | "Succeeded" | "Failed";
    error?: { code: string; message: string };
  } {
    const r = this.#resources.get(key);
    if (kind === "delete") {
      if (r === undefined || r.deleting === undefined) return { status: "Succeeded" };
      return this.#ctx.now() >= r.deleting.doneAt ? { status: "Succeeded" } : { status: "InProgress" };
    }
    const live = this.get(key);
    if (live === undefined)
      return { status: "Failed", error: { code: "ResourceNotFound", message: "The resource was deleted." } };
    const state = this.provisioningState(live);
    if (state === "Succeeded") return { status: "Succeeded" };
    if (state === "Failed") {
      if (live.op.failure !== undefined) return { status: "Failed", error: live.op.failure };
      const failed = this.replication(live).filter((s) => s.state === "Failed");
      return {
        status: "Failed",
        error: {
          code: "ReplicationFailed",
          message: failed.map((s) => `${s.region}: ${s.details ?? "replication failed"}`).join("; "),
        },
      };
    }
    return { status: "InProgress" };
  }

  // ---------------------------------------------------------------- JSON projections

  toJson(r: Stored, expandReplication = false): Json {
    const state = this.provisioningState(r);
    const base: Json = { id: r.id, name: r.name, type: TYPE_NAMES[r.type], location: r.location };
    if (r.tags !== undefined) base["tags"] = r.tags;
    const props: Json = clone(r.properties);
    switch (r.type) {
      case "galleries":
        props["identifier"] = { uniqueName: `${r.subscription}-${r.name.toUpperCase()}` };
        break;
      case "images":
        delete props["allowUpdateImage"];
        break;
      case "versions": {
        const pp = (props["publishingProfile"] as Json | undefined) ?? {};
        props["publishingProfile"] = { ...pp, publishedDate: r.publishedDate };
        const sp = clone((props["storageProfile"] as Json | undefined) ?? {});
        const sizeInGB = r.sizeBytes === undefined ? undefined : Math.max(1, Math.ceil(r.sizeBytes / GIB));
        if (isObject(sp["osDiskImage"]) && sizeInGB !== undefined) sp["osDiskImage"]["sizeInGB"] = sizeInGB;
        props["storageProfile"] = sp;
        if (expandReplication) {
          const summary = this.replication(r).map((s) => ({
            region: s.region,
            state: s.state,
            ...(s.details === undefined ? {} : { details: s.details }),
            progress: s.progress,
          }));
          props["replicationStatus"] = { aggregatedState: aggregate(summary.map((s) => s.state)), summary };
        }
        break;
      }
      case "disks":
      case "snapshots": {
        props["timeCreated"] = r.timeCreated;
        props["uniqueId"] = r.uniqueId;
        if (r.sizeBytes !== undefined) {
          props["diskSizeBytes"] = r.sizeBytes;
          props["diskSizeGB"] = props["diskSizeGB"] ?? Math.max(1, Math.ceil(r.sizeBytes / GIB));
        }
        props["diskState"] = "Unattached";
        if (r.type === "snapshots") props["incremental"] = props["incremental"] ?? false;
        if (r.sku !== undefined) base["sku"] = { ...r.sku, tier: tierOf(String(r.sku["name"])) };
        break;
      }
    }
    props["provisioningState"] = state;
    base["properties"] = props;
    return base;
  }

  // ---------------------------------------------------------------- galleries

  putGallery(s: Scope, name: string, body: Json): HandlerResult {
    if (!GALLERY_NAME.test(name)) {
      throw invalidParameter(
        `The gallery name '${name}' is invalid: use letters, digits, underscores and periods (not at either end), at most 80 characters; dashes are not allowed.`,
        "galleryName",
      );
    }
    const location = this.#location(body);
    const props = userProperties(body, ["provisioningState", "identifier", "sharingStatus"]);
    const id = ComputeModel.galleryId(s, name);
    const existing = this.#forWrite(id);
    if (existing !== undefined) {
      this.#sameLocation(existing, location);
      return this.#update(existing, body, { ...existing.properties, ...props }, this.#ctx.timing.galleryMs);
    }
    const r = this.#create("galleries", s, id, name, location, body, props, this.#ctx.timing.galleryMs);
    return { status: 201, body: this.toJson(r), lro: { kind: "create", key: r.key } };
  }

  patchGallery(s: Scope, name: string, body: Json): HandlerResult {
    const r = this.#mustExist(ComputeModel.galleryId(s, name), "galleries", name, s);
    this.#notBusy(r);
    const props = userProperties(body, ["provisioningState", "identifier", "sharingStatus"]);
    return this.#update(r, body, { ...r.properties, ...props }, this.#ctx.timing.galleryMs, 200);
  }

  // ---------------------------------------------------------------- image definitions

  putImage(s: Scope, galleryName: string, name: string, body: Json, patch = false): HandlerResult {
    const gallery = this.get(ComputeModel.galleryId(s, galleryName));
    if (gallery === undefined) throw parentResourceNotFound(galleryName);
    if (!IMAGE_NAME.test(name)) {
      throw invalidParameter(
        `The image definition name '${name}' is invalid: use letters, digits, dots, dashes and underscores, starting and ending with a letter or digit, at most 80 characters.`,
        "galleryImageName",
      );
    }
    const id = `${gallery.id}/images/${name}`;
    const existing = this.#forWrite(id);
    if (patch && existing === undefined)
      throw resourceNotFound(TYPE_NAMES.images, `${galleryName}/${name}`, s.resourceGroup);
    const incoming = userProperties(body, ["provisioningState"]);
    const props = existing !== undefined && patch ? { ...existing.properties, ...incoming } : incoming;
    const location = existing !== undefined && patch ? existing.location : this.#location(body);
    if (location !== gallery.location) {
      throw invalidParameter(
        `The image definition must be in the gallery's location '${gallery.location}', not '${location}'.`,
        "location",
      );
    }
    validateImageProperties(props);
    if (existing !== undefined) {
      this.#sameLocation(existing, location);
      const before = imageImmutables(existing.properties);
      const after = imageImmutables(props);
      for (const [path, value] of Object.entries(before)) {
        if (!sameValue(value, after[path])) throw propertyChangeNotAllowed(path);
      }
      const featuresChanged = !sameValue(
        normalizeFeatures(existing.properties["features"]),
        normalizeFeatures(props["features"]),
      );
      if (featuresChanged && props["allowUpdateImage"] !== true) {
        throw new ArmError(
          409,
          "PropertyChangeNotAllowed",
          "Changing property 'properties.features' is not allowed unless 'properties.allowUpdateImage' is true.",
          "properties.features",
        );
      }
      return this.#update(existing, body, props, this.#ctx.timing.imageMs, 200);
    }
    const clash = this.all("images").find(
      (i) => i.parentKey === gallery.key && sameValue(identifierKey(i.properties), identifierKey(props)),
    );
    if (clash !== undefined) {
      throw new ArmError(
        409,
        "Conflict",
        `The image definition '${clash.name}' in gallery '${gallery.name}' already uses the identifier (publisher, offer, sku) given for '${name}'.`,
        "properties.identifier",
      );
    }
    const r = this.#create(
      "images",
      s,
      id,
      name,
      location,
      body,
      props,
      this.#ctx.timing.imageMs,
      gallery.key,
    );
    return { status: 201, body: this.toJson(r), lro: { kind: "create", key: r.key } };
  }

  // ---------------------------------------------------------------- image versions

  async putVersion(
    s: Scope,
    galleryName: string,
    imageName: string,
    name: string,
    body: Json,
    patch = false,
  ): Promise<HandlerResult> {
    const gallery = this.get(ComputeModel.galleryId(s, galleryName));
    if (gallery === undefined) throw parentResourceNotFound(galleryName);
    const image = this.get(`${gallery.id}/images/${imageName}`);
    if (image === undefined) throw parentResourceNotFound(imageName);
    validateVersionName(name);
    const id = `${image.id}/versions/${name}`;
    const existing = this.#forWrite(id);
    if (patch && existing === undefined) {
      throw resourceNotFound(TYPE_NAMES.versions, `${galleryName}/${imageName}/${name}`, s.resourceGroup);
    }
    const incoming = userProperties(body, ["provisioningState", "replicationStatus"]);
    if (isObject(incoming["publishingProfile"])) delete incoming["publishingProfile"]["publishedDate"];
    let props: Json;
    if (existing !== undefined && patch) {
      props = { ...existing.properties, ...incoming };
      if (isObject(incoming["publishingProfile"])) {
        props["publishingProfile"] = {
          ...((existing.properties["publishingProfile"] as Json | undefined) ?? {}),
          ...incoming["publishingProfile"],
        };
      }
    } else {
      props = incoming;
    }
    const location = existing !== undefined && patch ? existing.location : this.#location(body);
    if (location !== image.location) {
      throw invalidParameter(
        `The image version must be created in the image definition's location '${image.location}', not '${location}'.`,
        "location",
      );
    }
    const pp = isObject(props["publishingProfile"]) ? props["publishingProfile"] : {};
    props["publishingProfile"] = pp;
    const targets = this.#validatePublishing(pp, location);

    if (existing !== undefined) {
      this.#sameLocation(existing, location);
      this.#notBusy(existing);
      if (!sameValue(sourceKey(existing.properties), sourceKey(props))) {
        throw propertyChangeNotAllowed("properties.storageProfile");
      }
      const oldPp = (existing.properties["publishingProfile"] as Json | undefined) ?? {};
      if (
        !sameValue(oldPp["storageAccountType"] ?? "Standard_LRS", pp["storageAccountType"] ?? "Standard_LRS")
      ) {
        throw propertyChangeNotAllowed("properties.publishingProfile.storageAccountType");
      }
      if (!sameValue(oldPp["replicationMode"] ?? "Full", pp["replicationMode"] ?? "Full")) {
        throw propertyChangeNotAllowed("properties.publishingProfile.replicationMode");
      }
      return this.#update(existing, body, props, this.#ctx.timing.updateMs, 200, () => {
        // Regions kept as they are; new (and previously failed) regions replicate from now on.
        const now = this.#ctx.now();
        const oldPlans = new Map((existing.regions ?? []).map((p) => [p.name, p]));
        const start = now + this.#ctx.timing.updateMs + this.#ctx.faults.takeExtraDelay("versions", name);
        let extra = 0;
        existing.regions = targets.map((region) => {
          const old = oldPlans.get(region);
          if (old !== undefined && regionState(old, now).state !== "Failed") return old;
          const plan = this.#plan(region, start, extra);
          extra++;
          return plan;
        });
      });
    }

    const sp = props["storageProfile"];
    if (!isObject(sp)) {
      throw invalidParameter(
        "Required parameter 'properties.storageProfile' is missing (null).",
        "properties.storageProfile",
      );
    }
    const sizeBytes = await this.#validateVersionSources(sp, image, location);
    const r = this.#create(
      "versions",
      s,
      id,
      name,
      location,
      body,
      props,
      this.#ctx.timing.versionMs,
      image.key,
    );
    r.sizeBytes = sizeBytes;
    r.publishedDate = new Date(this.#ctx.now()).toISOString();
    r.regions = targets.map((region, i) => this.#plan(region, r.op.doneAt, i));
    return { status: 201, body: this.toJson(r), lro: { kind: "create", key: r.key } };
  }

  #plan(region: string, start: number, index: number): RegionPlan {
    const { replicationMs, replicationStepMs } = this.#ctx.timing;
    const failure = this.#ctx.faults.replicationFailure(region);
    return {
      name: region,
      startAt: start,
      endAt: start + replicationMs + index * replicationStepMs,
      ...(failure === undefined ? {} : { failure: failure.details }),
    };
  }

  /** Returns the normalized target region names (source region first). */
  #validatePublishing(pp: Json, location: string): string[] {
    const mode = pp["replicationMode"] ?? "Full";
    if (mode !== "Full" && mode !== "Shallow") {
      throw invalidParameter(
        `Replication mode '${String(mode)}' is not valid: use Full or Shallow.`,
        "properties.publishingProfile.replicationMode",
      );
    }
    const defaultCount = pp["replicaCount"] ?? 1;
    checkReplicas(defaultCount, "properties.publishingProfile.replicaCount");
    checkStorageType(pp["storageAccountType"], "properties.publishingProfile.storageAccountType");
    if (pp["endOfLifeDate"] !== undefined && Number.isNaN(Date.parse(String(pp["endOfLifeDate"])))) {
      throw invalidParameter(
        `endOfLifeDate '${String(pp["endOfLifeDate"])}' is not a valid date.`,
        "properties.publishingProfile.endOfLifeDate",
      );
    }
    const given = pp["targetRegions"];
    const list: Json[] = Array.isArray(given) ? given.filter(isObject) : [{ name: location }];
    if (Array.isArray(given) && given.length === 0) {
      throw invalidParameter(
        "targetRegions must not be empty.",
        "properties.publishingProfile.targetRegions",
      );
    }
    const names: string[] = [];
    list.forEach((t, i) => {
      const target = `properties.publishingProfile.targetRegions[${i}]`;
      if (typeof t["name"] !== "string" || t["name"] === "") {
        throw invalidParameter(`Required parameter '${target}.name' is missing (null).`, `${target}.name`);
      }
      const region = normalizeRegion(t["name"]);
      if (!this.#ctx.regions.has(region)) {
        throw invalidParameter(`The region '${t["name"]}' is not a valid Azure region.`, `${target}.name`);
      }
      if (names.includes(region)) {
        throw invalidParameter(
          `The region '${region}' is listed more than once in targetRegions.`,
          `${target}.name`,
        );
      }
      names.push(region);
      const count = t["regionalReplicaCount"] ?? defaultCount;
      checkReplicas(count, `${target}.regionalReplicaCount`);
      if (mode === "Shallow" && count !== 1) {
        throw invalidParameter(
          `Replica count ${String(count)} for region '${region}' is not allowed with replication mode Shallow: Shallow replication supports exactly 1 replica per region.`,
          `${target}.regionalReplicaCount`,
        );
      }
      checkStorageType(t["storageAccountType"], `${target}.storageAccountType`);
    });
    if (!names.includes(location)) {
      throw invalidParameter(
        `The target regions must include the source region '${location}' of the image version.`,
        "properties.publishingProfile.targetRegions",
      );
    }
    return [location, ...names.filter((n) => n !== location)];
  }

  /** Checks every disk source; returns the OS disk's size in bytes. */
  async #validateVersionSources(sp: Json, image: Stored, location: string): Promise<number | undefined> {
    if (
      isObject(sp["source"]) &&
      (sp["source"]["id"] !== undefined || sp["source"]["virtualMachineId"] !== undefined)
    ) {
      throw invalidParameter(
        "The emulator supports only snapshot, managed disk and VHD blob sources (storageProfile.osDiskImage / dataDiskImages); managed images, VMs and community images are not emulated.",
        "properties.storageProfile.source",
      );
    }
    const os = sp["osDiskImage"];
    if (!isObject(os) || !isObject(os["source"])) {
      throw invalidParameter(
        "Required parameter 'properties.storageProfile.osDiskImage.source' is missing (null).",
        "properties.storageProfile.osDiskImage.source",
      );
    }
    const securityType = securityTypeOf(image.properties)?.toLowerCase();
    const disks: { target: string; source: Json }[] = [
      { target: "properties.storageProfile.osDiskImage", source: os["source"] },
    ];
    const data = sp["dataDiskImages"];
    if (data !== undefined && !Array.isArray(data)) {
      throw invalidParameter("dataDiskImages must be an array.", "properties.storageProfile.dataDiskImages");
    }
    const luns = new Set<number>();
    (data ?? []).forEach((d: unknown, i: number) => {
      const target = `properties.storageProfile.dataDiskImages[${i}]`;
      if (!isObject(d) || !isObject(d["source"])) {
        throw invalidParameter(
          `Required parameter '${target}.source' is missing (null).`,
          `${target}.source`,
        );
      }
      const lun = d["lun"];
      if (typeof lun !== "number" || !Number.isInteger(lun) || lun < 0 || lun > 63) {
        throw invalidParameter(`The lun of ${target} must be an integer between 0 and 63.`, `${target}.lun`);
      }
      if (luns.has(lun))
        throw invalidParameter(`The lun ${lun} is used by more than one data disk image.`, `${target}.lun`);
      luns.add(lun);
      disks.push({ target, source: d["source"] });
    });
    let osSize: number | undefined;
    for (const [index, { target, source }] of disks.entries()) {
      let size: number | undefined;
      if (typeof source["id"] === "string" && source["id"] !== "") {
        if (source["uri"] !== undefined) {
          throw invalidParameter(
            `${target}.source must give either id or uri, not both.`,
            `${target}.source`,
          );
        }
        if (securityType !== undefined && BLOB_ONLY_SECURITY.has(securityType)) {
          throw invalidParameter(
            `The security type '${securityTypeOf(image.properties)}' is not supported for the source id '${source["id"]}'. Currently only Vhd Blob, User Image and Gallery Image Version sources are supported for '${securityTypeOf(image.properties)}' images.`,
            `${target}.source.id`,
          );
        }
        const src = this.get(source["id"]);
        const kind = /\/providers\/Microsoft\.Compute\/(snapshots|disks)\/[^/]+$/i
          .exec(source["id"])?.[1]
          ?.toLowerCase();
        if (kind === undefined) {
          throw invalidParameter(
            `The source id '${source["id"]}' is not a snapshot or managed disk id.`,
            `${target}.source.id`,
          );
        }
        if (src === undefined) {
          throw new ArmError(
            404,
            "NotFound",
            `The source ${kind === "disks" ? "disk" : "snapshot"} '${source["id"]}' was not found.`,
            `${target}.source.id`,
          );
        }
        const state = this.provisioningState(src);
        if (state !== "Succeeded") {
          throw new ArmError(
            409,
            "OperationNotAllowed",
            `The source '${src.name}' is not ready (provisioningState ${state}).`,
            `${target}.source.id`,
          );
        }
        if (src.location !== location) {
          throw invalidParameter(
            `The source '${src.name}' is in '${src.location}'; it must be in the image version's region '${location}'.`,
            `${target}.source.id`,
          );
        }
        size = src.sizeBytes;
      } else if (typeof source["uri"] === "string" && source["uri"] !== "") {
        if (securityType !== undefined && MANAGED_ONLY_SECURITY.has(securityType)) {
          throw invalidParameter(
            `The security type '${securityTypeOf(image.properties)}' is not supported for the VHD blob source '${source["uri"]}'. '${securityTypeOf(image.properties)}' image versions must be created from managed disks or snapshots.`,
            `${target}.source.uri`,
          );
        }
        const blob = await this.#ctx.blobs.inspect(source["uri"], source["storageAccountId"], location, {
          uri: `${target}.source.uri`,
          account: `${target}.source.storageAccountId`,
        });
        size = blob.virtualSizeBytes;
      } else {
        throw invalidParameter(
          `${target}.source must give an id (snapshot or disk) or a uri (VHD blob).`,
          `${target}.source`,
        );
      }
      if (index === 0) osSize = size;
    }
    return osSize;
  }

  // ---------------------------------------------------------------- disks and snapshots

  async putDiskOrSnapshot(
    s: Scope,
    type: "disks" | "snapshots",
    name: string,
    body: Json,
    patch = false,
  ): Promise<HandlerResult> {
    if (!DISK_NAME.test(name)) {
      throw invalidParameter(
        `The entity name '${name}' is invalid according to its validation rule: ^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$.`,
        type === "disks" ? "diskName" : "snapshotName",
      );
    }
    const id = ComputeModel.topLevelId(s, type, name);
    const existing = this.#forWrite(id);
    if (patch && existing === undefined) throw resourceNotFound(TYPE_NAMES[type], name, s.resourceGroup);
    const readOnly = ["provisioningState", "timeCreated", "uniqueId", "diskSizeBytes", "diskState"];
    const incoming = userProperties(body, readOnly);
    if (existing !== undefined) {
      this.#notBusy(existing);
      if (!patch) this.#sameLocation(existing, this.#location(body));
      if (
        incoming["creationData"] !== undefined &&
        !sameValue(creationKey(existing.properties["creationData"]), creationKey(incoming["creationData"]))
      ) {
        throw propertyChangeNotAllowed("properties.creationData");
      }
      const props = {
        ...existing.properties,
        ...incoming,
        creationData: existing.properties["creationData"],
      };
      if (isObject(body["sku"])) existing.sku = { name: body["sku"]["name"] };
      return this.#update(existing, body, props, this.#ctx.timing.updateMs, 200);
    }
    const location = this.#location(body);
    const cd = incoming["creationData"];
    if (!isObject(cd)) {
      throw invalidParameter(
        "Required parameter 'properties.creationData' is missing (null).",
        "properties.creationData",
      );
    }
    const skuName = isObject(body["sku"]) ? body["sku"]["name"] : undefined;
    const skus = type === "disks" ? DISK_SKUS : SNAPSHOT_SKUS;
    if (skuName !== undefined && !skus.includes(String(skuName))) {
      throw invalidParameter(
        `The sku '${String(skuName)}' is not valid for ${type}: use one of ${skus.join(", ")}.`,
        "sku.name",
      );
    }
    const option = String(cd["createOption"] ?? "");
    let sizeBytes: number | undefined;
    let inherited: Json = {};
    if (option.toLowerCase() === "import") {
      const blob = await this.#ctx.blobs.inspect(cd["sourceUri"], cd["storageAccountId"], location, {
        uri: "properties.creationData.sourceUri",
        account: "properties.creationData.storageAccountId",
      });
      sizeBytes = blob.virtualSizeBytes;
    } else if (option.toLowerCase() === "copy") {
      const sourceId = cd["sourceResourceId"];
      if (typeof sourceId !== "string" || sourceId === "") {
        throw invalidParameter(
          "Required parameter 'properties.creationData.sourceResourceId' is missing (null).",
          "properties.creationData.sourceResourceId",
        );
      }
      const src = this.get(sourceId);
      if (src === undefined || (src.type !== "disks" && src.type !== "snapshots")) {
        throw new ArmError(
          404,
          "NotFound",
          `The source resource '${sourceId}' was not found.`,
          "properties.creationData.sourceResourceId",
        );
      }
      const state = this.provisioningState(src);
      if (state !== "Succeeded") {
        throw new ArmError(
          409,
          "OperationNotAllowed",
          `The source '${src.name}' is not ready (provisioningState ${state}).`,
          "properties.creationData.sourceResourceId",
        );
      }
      if (src.location !== location) {
        throw invalidParameter(
          `The source '${src.name}' is in '${src.location}'; a copy must be created in the same region ('${location}').`,
          "properties.creationData.sourceResourceId",
        );
      }
      sizeBytes = src.sizeBytes;
      inherited = pick(src.properties, ["osType", "hyperVGeneration"]);
    } else if (option.toLowerCase() === "empty" && type === "disks") {
      const gb = incoming["diskSizeGB"];
      if (typeof gb !== "number" || !Number.isInteger(gb) || gb < 1) {
        throw invalidParameter(
          "diskSizeGB is required (a positive integer) for createOption Empty.",
          "properties.diskSizeGB",
        );
      }
      sizeBytes = gb * GIB;
    } else {
      throw invalidParameter(
        `createOption '${option}' is not supported by the emulator for ${type} (supported: Import, Copy${type === "disks" ? ", Empty" : ""}).`,
        "properties.creationData.createOption",
      );
    }
    const props = { ...inherited, ...incoming };
    const timing = type === "disks" ? this.#ctx.timing.diskMs : this.#ctx.timing.snapshotMs;
    const r = this.#create(type, s, id, name, location, body, props, timing);
    r.sizeBytes = sizeBytes;
    r.sku = { name: skuName ?? "Standard_LRS" };
    return { status: 202, body: this.toJson(r), lro: { kind: "create", key: r.key } };
  }

  // ---------------------------------------------------------------- delete

  delete(id: string): HandlerResult {
    const r = this.get(id);
    if (r === undefined) return { status: 204 };
    if (r.deleting !== undefined) return { status: 202, lro: { kind: "delete", key: r.key } };
    const now = this.#ctx.now();
    r.deleting = {
      startedAt: now,
      doneAt: now + this.#ctx.timing.deleteMs + this.#ctx.faults.takeExtraDelay(r.type, r.name),
    };
    return { status: 202, lro: { kind: "delete", key: r.key } };
  }

  /** Lists children/resources; `filter` picks what belongs to the list. */
  list(type: ResourceType, filter: (r: Stored) => boolean): Stored[] {
    return this.all(type).filter(filter);
  }

  // ---------------------------------------------------------------- helpers

  #location(body: Json): string {
    const loc = body["location"];
    if (typeof loc !== "string" || loc === "") {
      throw new ArmError(
        400,
        "LocationRequired",
        "The location property is required for this definition.",
        "location",
      );
    }
    const region = normalizeRegion(loc);
    if (!this.#ctx.regions.has(region)) {
      throw new ArmError(
        400,
        "LocationNotAvailableForResourceType",
        `The provided location '${loc}' is not available for this resource type.`,
        "location",
      );
    }
    return region;
  }

  #sameLocation(r: Stored, location: string): void {
    if (r.location !== location) {
      throw new ArmError(
        409,
        "InvalidResourceLocation",
        `The resource '${r.name}' already exists in location '${r.location}' in resource group '${r.resourceGroup}'. A resource with the same name cannot be created in location '${location}'.`,
        "location",
      );
    }
  }

  /** Existing resource for PUT/PATCH; a resource being deleted conflicts. */
  #forWrite(id: string): Stored | undefined {
    const r = this.get(id);
    if (r?.deleting !== undefined) {
      throw new ArmError(
        409,
        "Conflict",
        `The resource '${r.name}' is being deleted; retry after the deletion has finished.`,
      );
    }
    return r;
  }

  #notBusy(r: Stored): void {
    const state = this.provisioningState(r);
    if (state === "Creating" || state === "Updating") {
      throw new ArmError(
        409,
        "OperationNotAllowed",
        `An operation on '${r.name}' is in progress (provisioningState ${state}); retry after it has completed.`,
      );
    }
  }

  #mustExist(id: string, type: ResourceType, name: string, s: Scope): Stored {
    const r = this.get(id);
    if (r === undefined) throw resourceNotFound(TYPE_NAMES[type], name, s.resourceGroup);
    return r;
  }

  #create(
    type: ResourceType,
    s: Scope,
    id: string,
    name: string,
    location: string,
    body: Json,
    props: Json,
    durationMs: number,
    parentKey?: string,
  ): Stored {
    const now = this.#ctx.now();
    const failure = this.#ctx.faults.takeProvisioningFailure(type, name);
    const r: Stored = {
      type,
      key: id.toLowerCase(),
      id,
      name,
      resourceGroup: s.resourceGroup,
      subscription: s.subscription,
      ...(parentKey === undefined ? {} : { parentKey }),
      seq: ++this.#seq,
      location,
      ...(isStringRecord(body["tags"]) ? { tags: { ...body["tags"] } } : {}),
      properties: props,
      op: {
        kind: "create",
        startedAt: now,
        doneAt: now + durationMs + this.#ctx.faults.takeExtraDelay(type, name),
        ...(failure === undefined ? {} : { failure }),
      },
      uniqueId: randomUUID(),
      timeCreated: new Date(now).toISOString(),
    };
    this.#resources.set(r.key, r);
    return r;
  }

  #update(
    r: Stored,
    body: Json,
    props: Json,
    durationMs: number,
    status = 200,
    mutate?: () => void,
  ): HandlerResult {
    this.#notBusy(r);
    mutate?.();
    const now = this.#ctx.now();
    r.properties = props;
    if (isStringRecord(body["tags"])) r.tags = { ...body["tags"] };
    r.op = {
      kind: "update",
      startedAt: now,
      doneAt: now + durationMs + this.#ctx.faults.takeExtraDelay(r.type, r.name),
    };
    return { status, body: this.toJson(r), lro: { kind: "update", key: r.key } };
  }
}

// ------------------------------------------------------------------ free helpers

function regionState(plan: RegionPlan, now: number): RegionReplication {
  if (now < plan.startAt) return { region: plan.name, state: "Unknown", progress: 0 };
  const span = Math.max(1, plan.endAt - plan.startAt);
  if (plan.failure !== undefined) {
    const failAt = plan.startAt + Math.floor(span * 0.4);
    if (now >= failAt) return { region: plan.name, state: "Failed", progress: 40, details: plan.failure };
  }
  if (now < plan.endAt) {
    return {
      region: plan.name,
      state: "Replicating",
      progress: Math.min(99, Math.floor(((now - plan.startAt) / span) * 100)),
    };
  }
  return { region: plan.name, state: "Completed", progress: 100 };
}

export function aggregate(states: readonly string[]): string {
  if (states.some((s) => s === "Failed")) return "Failed";
  if (states.length > 0 && states.every((s) => s === "Completed")) return "Completed";
  if (states.every((s) => s === "Unknown")) return "Unknown";
  return "InProgress";
}

function validateVersionName(name: string): void {
  const m = VERSION_NAME.exec(name);
  const parts = m === null ? [] : [m[1], m[2], m[3]].map((p) => Number(p));
  if (m === null || parts.some((p) => !Number.isSafeInteger(p) || p > INT32_MAX)) {
    throw invalidParameter(
      `The gallery image version name '${name}' is invalid: it must follow the format Major(int32).Minor(int32).Patch(int32), e.g. 1.0.0.`,
      "galleryImageVersionName",
    );
  }
}

function validateImageProperties(p: Json): void {
  const oneOf = (value: unknown, allowed: string[], target: string, required: boolean): void => {
    if (value === undefined && !required) return;
    if (typeof value !== "string" || !allowed.some((a) => a.toLowerCase() === value.toLowerCase())) {
      throw invalidParameter(
        value === undefined
          ? `Required parameter '${target}' is missing (null).`
          : `The value '${String(value)}' of '${target}' is not valid: use one of ${allowed.join(", ")}.`,
        target,
      );
    }
  };
  oneOf(p["osType"], ["Linux", "Windows"], "properties.osType", true);
  oneOf(p["osState"], ["Generalized", "Specialized"], "properties.osState", true);
  oneOf(p["hyperVGeneration"], ["V1", "V2"], "properties.hyperVGeneration", false);
  oneOf(p["architecture"], ["x64", "Arm64"], "properties.architecture", false);
  const ident = p["identifier"];
  for (const key of ["publisher", "offer", "sku"]) {
    const v = isObject(ident) ? ident[key] : undefined;
    if (typeof v !== "string" || v.trim() === "") {
      throw invalidParameter(
        `Required parameter 'properties.identifier.${key}' is missing (null).`,
        `properties.identifier.${key}`,
      );
    }
  }
  const security = securityTypeOf(p);
  if (security !== undefined) {
    oneOf(security, SECURITY_TYPES, "properties.features[SecurityType]", true);
    const gen = String(p["hyperVGeneration"] ?? "V1").toUpperCase();
    if (security.toLowerCase() !== "standard" && gen !== "V2") {
      throw invalidParameter(
        `The security type '${security}' requires hyperVGeneration V2 (the image definition has ${gen}).`,
        "properties.hyperVGeneration",
      );
    }
  }
  if (
    String(p["architecture"] ?? "x64").toLowerCase() === "arm64" &&
    String(p["hyperVGeneration"] ?? "V1").toUpperCase() !== "V2"
  ) {
    throw invalidParameter(
      "Arm64 image definitions require hyperVGeneration V2.",
      "properties.hyperVGeneration",
    );
  }
}

function imageImmutables(p: Json): Record<string, unknown> {
  const ident = isObject(p["identifier"]) ? p["identifier"] : {};
  return {
    "properties.osType": lower(p["osType"]),
    "properties.osState": lower(p["osState"]),
    "properties.hyperVGeneration": lower(p["hyperVGeneration"] ?? "V1"),
    "properties.architecture": lower(p["architecture"] ?? "x64"),
    "properties.identifier.publisher": lower(ident["publisher"]),
    "properties.identifier.offer": lower(ident["offer"]),
    "properties.identifier.sku": lower(ident["sku"]),
    "properties.purchasePlan": p["purchasePlan"] ?? null,
    "properties.features[SecurityType]": lower(securityTypeOf(p) ?? null),
  };
}

function identifierKey(p: Json): unknown {
  const ident = isObject(p["identifier"]) ? p["identifier"] : {};
  return [lower(ident["publisher"]), lower(ident["offer"]), lower(ident["sku"])];
}

function securityTypeOf(p: Json): string | undefined {
  const features = p["features"];
  if (!Array.isArray(features)) return undefined;
  for (const f of features) {
    if (isObject(f) && String(f["name"]).toLowerCase() === "securitytype" && typeof f["value"] === "string")
      return f["value"];
  }
  return undefined;
}

function normalizeFeatures(features: unknown): unknown {
  if (!Array.isArray(features)) return [];
  return features
    .filter(isObject)
    .map((f) => [
      lower(f["name"]),
      String(f["value"] ?? "")
        .replace(/\s+/g, "")
        .toLowerCase(),
    ])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

/** What identifies a version's content: the source of every disk. */
function sourceKey(p: Json): unknown {
  const sp = isObject(p["storageProfile"]) ? p["storageProfile"] : {};
  const src = (d: unknown): unknown => {
    if (!isObject(d) || !isObject(d["source"])) return null;
    const s = d["source"];
    return [lower(s["id"] ?? null), lower(s["uri"] ?? null), lower(s["storageAccountId"] ?? null)];
  };
  const data = Array.isArray(sp["dataDiskImages"]) ? sp["dataDiskImages"].filter(isObject) : [];
  return {
    source: isObject(sp["source"]) ? lower(sp["source"]["id"] ?? null) : null,
    os: src(sp["osDiskImage"]),
    data: data.map((d) => [d["lun"], src(d)]).sort((a, b) => Number(a[0]) - Number(b[0])),
  };
}

function creationKey(cd: unknown): unknown {
  if (!isObject(cd)) return null;
  return [
    lower(cd["createOption"]),
    lower(cd["sourceUri"] ?? null),
    lower(cd["sourceResourceId"] ?? null),
    lower(cd["storageAccountId"] ?? null),
  ];
}

function checkReplicas(value: unknown, target: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 100) {
    throw invalidParameter(
      `The replica count '${String(value)}' is not valid: it must be an integer from 1 to 100.`,
      target,
    );
  }
}

function checkStorageType(value: unknown, target: string): void {
  if (value === undefined) return;
  if (typeof value !== "string" || !GALLERY_STORAGE_TYPES.includes(value)) {
    throw invalidParameter(
      `The storage account type '${String(value)}' is not valid: use one of ${GALLERY_STORAGE_TYPES.join(", ")}.`,
      target,
    );
  }
}

function tierOf(sku: string): string {
  if (sku.startsWith("PremiumV2")) return "PremiumV2";
  if (sku.startsWith("Premium")) return "Premium";
  if (sku.startsWith("StandardSSD")) return "StandardSSD";
  if (sku.startsWith("UltraSSD")) return "Ultra";
  return "Standard";
}

function userProperties(body: Json, readOnly: string[]): Json {
  const props = isObject(body["properties"]) ? clone(body["properties"]) : {};
  for (const k of readOnly) delete props[k];
  return props;
}

function pick(o: Json, keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function lower(v: unknown): unknown {
  return typeof v === "string" ? v.toLowerCase() : v;
}

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.values(v).every((x) => typeof x === "string");
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}
