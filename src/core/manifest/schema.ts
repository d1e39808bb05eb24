/**
 * The image manifest schema: the one source of truth. The raw manifest type (`RawManifest`) is
 * derived from it with `Static<>`, the loader validates with it (Ajv), and
 * `scripts/write-schema.ts` publishes it as `schema/image-manifest.schema.json` (a unit test keeps
 * the committed file equal to this). Descriptions here become the README's manifest reference.
 *
 * The schema checks shape, types, enums, ranges and name patterns. Rules that need more than one
 * key (Shallow ⇒ one replica, ZRS ⇒ a zonal region, …) and region names live in `rules.ts`.
 */
import { Type } from "@sinclair/typebox";
import type { Static, TSchema, TUnsafe } from "@sinclair/typebox";
import {
  CONTAINER_NAME,
  GALLERY_NAME,
  IMAGE_DEFINITION_NAME,
  IMAGE_IDENTIFIER,
  RESOURCE_GROUP_NAME,
  STORAGE_ACCOUNT_NAME,
  SUBSCRIPTION_ID,
  VERSION_PATTERN,
} from "./naming.ts";
import type { NamingRule } from "./naming.ts";

export const SCHEMA_ID =
  "https://raw.githubusercontent.com/org/sig-publish/main/schema/image-manifest.schema.json";

interface Doc {
  readonly title?: string;
  readonly description: string;
  readonly examples?: readonly unknown[];
  readonly default?: unknown;
}

function StringEnum<const T extends readonly string[]>(values: T, doc: Doc): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...doc });
}

function Name(rule: NamingRule, doc: Doc): ReturnType<typeof Type.String> {
  return Type.String({
    minLength: rule.minLength,
    maxLength: rule.maxLength,
    pattern: rule.pattern,
    ...doc,
    description: `${doc.description} Azure rule: ${rule.summary}.`,
    examples: doc.examples ?? [rule.example],
  });
}

/** A map of string keys to scalar values (written as strings to Azure). */
function ScalarMap(doc: Doc): TUnsafe<Record<string, string | number | boolean>> {
  return Type.Unsafe<Record<string, string | number | boolean>>({
    type: "object",
    additionalProperties: { type: ["string", "number", "boolean"] },
    ...doc,
  });
}

function Strict<T extends Record<string, TSchema>>(properties: T, doc: Doc) {
  return Type.Object(properties, { additionalProperties: false, ...doc });
}

export const OS_TYPES = ["Linux", "Windows"] as const;
export const OS_STATES = ["Generalized", "Specialized"] as const;
export const HYPERV_GENERATIONS = ["V1", "V2"] as const;
export const ARCHITECTURES = ["x64", "Arm64"] as const;
export const SECURITY_TYPES = [
  "Standard",
  "TrustedLaunch",
  "TrustedLaunchSupported",
  "ConfidentialVM",
  "ConfidentialVMSupported",
  "TrustedLaunchAndConfidentialVmSupported",
] as const;
export const BUMPS = ["patch", "minor", "major"] as const;
export const REPLICATION_MODES = ["Full", "Shallow"] as const;
export const STORAGE_ACCOUNT_TYPES = ["Standard_LRS", "Standard_ZRS", "Premium_LRS"] as const;
export const PROMOTES = ["immediate", "afterReplication"] as const;
export const VIAS = ["snapshot", "blob"] as const;
export const DISK_TYPES = [
  "Standard_LRS",
  "StandardSSD_LRS",
  "StandardSSD_ZRS",
  "Premium_LRS",
  "Premium_ZRS",
  "PremiumV2_LRS",
  "UltraSSD_LRS",
] as const;

export const MAX_REPLICAS = 100;
export const MAX_LUN = 63;

const DATE_PATTERN = "^\\d{4}-\\d{2}-\\d{2}$";
const DATE_OR_DURATION_PATTERN = "^(\\d{4}-\\d{2}-\\d{2}|P\\d+D)$";
/** `region[=replicas[=storageType]]`, as `az sig image-version create --target-regions` takes it. */
export const REGION_SHORTHAND_PATTERN = "^[^=]+(=[^=]*(=[^=]*)?)?$";

const Region = (doc: Doc) =>
  Type.String({
    minLength: 1,
    ...doc,
    description: `${doc.description} A programmatic name (\`westeurope\`) or a display name (\`West Europe\`); it is normalised.`,
  });

const Replicas = (doc: Doc) => Type.Integer({ minimum: 1, maximum: MAX_REPLICAS, ...doc });

const Lun = (doc: Doc) => Type.Integer({ minimum: 0, maximum: MAX_LUN, ...doc });

const RangeSchema = (what: string, unit: string) =>
  Strict(
    {
      min: Type.Optional(Type.Integer({ minimum: 1, description: `Minimum ${what} (${unit}).` })),
      max: Type.Optional(Type.Integer({ minimum: 1, description: `Maximum ${what} (${unit}).` })),
    },
    { description: `Recommended ${what} for VMs made from this image (${unit}); min ≤ max.` },
  );

export const GallerySchema = Strict(
  {
    subscription: Type.Optional(
      Name(SUBSCRIPTION_ID, {
        description:
          "Subscription ID that holds the gallery. Optional: when absent the `subscription-id` input or `AZURE_SUBSCRIPTION_ID` is used.",
      }),
    ),
    resourceGroup: Name(RESOURCE_GROUP_NAME, { description: "Resource group of the gallery." }),
    name: Name(GALLERY_NAME, { description: "Name of the Azure Compute Gallery." }),
    location: Region({
      description:
        "Source region: the gallery's region, where the disk, snapshot and image version are created. Always a target region.",
      examples: ["westeurope"],
    }),
    create: Type.Optional(
      Type.Boolean({
        description:
          "Create the gallery when it does not exist. When false (the default) a missing gallery is a clear error.",
        default: false,
      }),
    ),
  },
  { title: "Gallery", description: "The Azure Compute Gallery to publish into." },
);

export const PurchasePlanSchema = Strict(
  {
    publisher: Type.String({ minLength: 1, description: "Purchase plan publisher." }),
    name: Type.String({ minLength: 1, description: "Purchase plan name." }),
    product: Type.String({ minLength: 1, description: "Purchase plan product." }),
  },
  {
    title: "Purchase plan",
    description: "Marketplace purchase plan of the image; all three fields are required when present.",
  },
);

export const ImageSchema = Strict(
  {
    name: Name(IMAGE_DEFINITION_NAME, {
      description: "Name of the image definition (created when missing).",
    }),
    publisher: Name(IMAGE_IDENTIFIER, { description: "Image publisher (immutable).", examples: ["Contoso"] }),
    offer: Name(IMAGE_IDENTIFIER, { description: "Image offer (immutable).", examples: ["WebServer"] }),
    sku: Name(IMAGE_IDENTIFIER, { description: "Image SKU (immutable).", examples: ["ubuntu-24-gen2"] }),
    osType: StringEnum(OS_TYPES, { description: "Operating system of the image (immutable)." }),
    osState: Type.Optional(
      StringEnum(OS_STATES, {
        description:
          "Generalized (sysprep / waagent -deprovision) or Specialized (immutable). Default: Generalized.",
        default: "Generalized",
      }),
    ),
    hyperVGeneration: Type.Optional(
      StringEnum(HYPERV_GENERATIONS, {
        description:
          "Hyper-V generation (immutable). Default: V2 when `architecture` is Arm64 or `securityType` is TrustedLaunch*/ConfidentialVM*, else V1 (Azure's default).",
      }),
    ),
    architecture: Type.Optional(
      StringEnum(ARCHITECTURES, {
        description: "CPU architecture (immutable). Arm64 needs hyperVGeneration V2. Default: x64.",
        default: "x64",
      }),
    ),
    securityType: Type.Optional(
      StringEnum(SECURITY_TYPES, {
        description:
          "Security type feature of the definition. Everything but Standard needs hyperVGeneration V2. Omit it for a plain definition.",
      }),
    ),
    features: Type.Optional(
      ScalarMap({
        description:
          "Other gallery image features as name: value (values are sent as strings). Use `securityType` for SecurityType.",
        examples: [{ IsAcceleratedNetworkSupported: "true", DiskControllerTypes: "SCSI,NVMe" }],
      }),
    ),
    description: Type.Optional(Type.String({ description: "Description of the image definition." })),
    eula: Type.Optional(Type.String({ description: "End-user licence agreement text." })),
    privacyStatementUri: Type.Optional(
      Type.String({
        format: "uri",
        description: "Privacy statement URI.",
        examples: ["https://contoso.com/privacy"],
      }),
    ),
    releaseNoteUri: Type.Optional(
      Type.String({
        format: "uri",
        description: "Release notes URI.",
        examples: ["https://contoso.com/notes"],
      }),
    ),
    endOfLifeDate: Type.Optional(
      Type.String({
        pattern: DATE_PATTERN,
        description: "End-of-life date of the image definition, YYYY-MM-DD; must be in the future.",
        examples: ["2030-01-01"],
      }),
    ),
    recommended: Type.Optional(
      Strict(
        {
          vCPUs: Type.Optional(RangeSchema("vCPU count", "vCPUs")),
          memory: Type.Optional(RangeSchema("memory", "GiB")),
        },
        { description: "Recommended VM sizes." },
      ),
    ),
    disallowedDiskTypes: Type.Optional(
      Type.Array(StringEnum(DISK_TYPES, { description: "A managed disk type." }), {
        uniqueItems: true,
        description: "OS disk types VMs made from this image must not use.",
        examples: [["Standard_LRS"]],
      }),
    ),
    purchasePlan: Type.Optional(PurchasePlanSchema),
    tags: Type.Optional(
      ScalarMap({ description: "Tags of the image definition.", examples: [{ team: "platform" }] }),
    ),
  },
  { title: "Image definition", description: "The image definition; created when missing." },
);

export const EncryptionSchema = Strict(
  {
    osDiskEncryptionSetId: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Resource ID of the disk encryption set for the OS disk in this region.",
      }),
    ),
    dataDisks: Type.Optional(
      Type.Array(
        Strict(
          {
            lun: Lun({ description: "LUN of the data disk (see `disks.data`)." }),
            diskEncryptionSetId: Type.String({
              minLength: 1,
              description: "Resource ID of the disk encryption set for this data disk.",
            }),
          },
          { description: "Encryption of one data disk." },
        ),
        { description: "Encryption of data disks, by LUN." },
      ),
    ),
  },
  { title: "Encryption", description: "Customer-managed-key encryption in one target region." },
);

export const TargetRegionObjectSchema = Strict(
  {
    name: Region({ description: "Region name.", examples: ["southeastasia"] }),
    replicas: Type.Optional(
      Replicas({ description: "Replica count in this region (1–100). Default: `version.replicaCount`." }),
    ),
    storageAccountType: Type.Optional(
      StringEnum(STORAGE_ACCOUNT_TYPES, {
        description:
          "Storage of the replicas in this region. Standard_ZRS needs a region with availability zones. Default: `version.storageAccountType`.",
      }),
    ),
    encryption: Type.Optional(EncryptionSchema),
  },
  { title: "Target region", description: "A target region with its own settings." },
);

export const TargetRegionSchema = Type.Union(
  [
    Type.String({
      pattern: REGION_SHORTHAND_PATTERN,
      description: "`region[=replicas[=storageType]]`, as the az CLI writes it.",
      examples: ["westeurope", "eastus=2", "eastus=2=Standard_ZRS"],
    }),
    TargetRegionObjectSchema,
  ],
  {
    description:
      "A region to replicate to: a string `region[=replicas[=storageType]]` or a mapping with name, replicas, storageAccountType, encryption.",
  },
);

export const VersionSchema = Strict(
  {
    number: Type.Optional(
      Type.String({
        pattern: VERSION_PATTERN,
        description:
          "The version line MAJOR.MINOR.PATCH (non-negative 32-bit integers, no leading zeros, no suffix). Published as is when the gallery holds nothing at or above it; otherwise the gallery's highest version is bumped. Written back with `update-manifest: true`.",
        examples: ["1.4.0"],
      }),
    ),
    bump: Type.Optional(
      StringEnum(BUMPS, {
        description: "Which part to bump when the gallery already holds this version line. Default: patch.",
        default: "patch",
      }),
    ),
    excludeFromLatest: Type.Optional(
      Type.Boolean({
        description: "Never make this version the `latest` one for new VMs. Default: false.",
        default: false,
      }),
    ),
    endOfLifeDate: Type.Optional(
      Type.String({
        pattern: DATE_OR_DURATION_PATTERN,
        description:
          "End of life of the version: a date YYYY-MM-DD in the future, or a number of days after publishing such as P180D.",
        examples: ["2027-06-01", "P180D"],
      }),
    ),
    replicationMode: Type.Optional(
      StringEnum(REPLICATION_MODES, {
        description:
          "Full copies the image to every region; Shallow only references the source (fast, for tests) and allows exactly one replica per region. Default: Full.",
        default: "Full",
      }),
    ),
    replicaCount: Type.Optional(
      Replicas({ description: "Default replica count per region (1–100). Default: 1.", default: 1 }),
    ),
    storageAccountType: Type.Optional(
      StringEnum(STORAGE_ACCOUNT_TYPES, {
        description: "Default storage of the replicas. Default: Standard_LRS.",
        default: "Standard_LRS",
      }),
    ),
    targetRegions: Type.Optional(
      Type.Array(TargetRegionSchema, {
        description:
          "Regions to replicate to. The source region (`gallery.location`) is always included: added first, with the defaults, when missing.",
        examples: [["westeurope", "eastus=2=Standard_ZRS", { name: "southeastasia", replicas: 3 }]],
      }),
    ),
    promote: Type.Optional(
      StringEnum(PROMOTES, {
        description:
          "immediate: the version is `latest` as soon as it is created (Azure's behaviour). afterReplication: created excluded from latest and promoted once every region completed. Default: immediate.",
        default: "immediate",
      }),
    ),
  },
  { title: "Version", description: "How image versions are numbered and replicated." },
);

const DiskPath = (doc: Doc) =>
  Type.String({
    minLength: 1,
    ...doc,
    description: `${doc.description} Relative to the repository root; must stay inside it.`,
  });

export const DisksSchema = Strict(
  {
    os: Type.Optional(
      DiskPath({
        description: "The OS disk image (VHD). The action's `vhd` input overrides it.",
        examples: ["out/ubuntu-web.vhd"],
      }),
    ),
    data: Type.Optional(
      Type.Array(
        Strict(
          {
            lun: Lun({ description: "Logical unit number (0–63), unique per image." }),
            path: DiskPath({ description: "The data disk image (VHD).", examples: ["out/data0.vhd"] }),
          },
          { description: "One data disk." },
        ),
        { description: "Data disk images." },
      ),
    ),
  },
  { title: "Disks", description: "Disk images to publish." },
);

export const StagingSchema = Strict(
  {
    storageAccount: Name(STORAGE_ACCOUNT_NAME, {
      description: "Storage account where the VHDs are uploaded as page blobs before the version is made.",
    }),
    resourceGroup: Type.Optional(
      Name(RESOURCE_GROUP_NAME, {
        description: "Resource group of the storage account. Default: the gallery's resource group.",
      }),
    ),
    container: Type.Optional(
      Name(CONTAINER_NAME, {
        description: "Private blob container for the uploads; created when missing. Default: vhds.",
        default: "vhds",
      }),
    ),
    via: Type.Optional(
      StringEnum(VIAS, {
        description:
          "snapshot: blob → managed disk → snapshot → version. blob: the version straight from the blob. Default: snapshot.",
        default: "snapshot",
      }),
    ),
    cleanup: Type.Optional(
      Type.Boolean({
        description: "Delete the blob, disk and snapshot once the version succeeded. Default: true.",
        default: true,
      }),
    ),
  },
  { title: "Staging", description: "Where disks are staged on their way into the gallery." },
);

export const RetentionSchema = Strict(
  {
    keep: Type.Integer({
      minimum: 1,
      description: "Delete versions beyond the newest N (never the one just published).",
      examples: [10],
    }),
  },
  { title: "Retention", description: "Optional clean-up of old versions." },
);

export const ManifestSchema = Type.Object(
  {
    gallery: GallerySchema,
    image: ImageSchema,
    version: Type.Optional(VersionSchema),
    disks: Type.Optional(DisksSchema),
    staging: StagingSchema,
    retention: Type.Optional(RetentionSchema),
  },
  {
    $id: SCHEMA_ID,
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "sig-publish image manifest",
    description:
      "One image definition in an Azure Compute Gallery and how its versions are published by sig-publish (`*.image.yml`).",
    additionalProperties: false,
  },
);

/** The manifest as written (after YAML parsing and schema validation, before defaults). */
export type RawManifest = Static<typeof ManifestSchema>;
export type RawTargetRegion = Static<typeof TargetRegionSchema>;

/** The JSON Schema document, as published in `schema/image-manifest.schema.json`. */
export function manifestJsonSchema(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(ManifestSchema)) as Record<string, unknown>;
}
