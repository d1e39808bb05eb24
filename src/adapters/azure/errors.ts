/**
 * Azure SDK errors turned into one clear sentence: what Azure refused, and what to do about it.
 */
interface RestErrorLike {
  readonly statusCode?: number;
  readonly code?: string;
  readonly message?: string;
  readonly details?: unknown;
}

function asRestError(error: unknown): RestErrorLike | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as RestErrorLike & { name?: string };
  if (typeof e.statusCode === "number" || e.name === "RestError") return e;
  return undefined;
}

export function isNotFound(error: unknown): boolean {
  const e = asRestError(error);
  return e?.statusCode === 404;
}

export function azureErrorCode(error: unknown): string | undefined {
  const e = asRestError(error);
  if (e === undefined) return undefined;
  const body = e.details as { error?: { code?: string } } | undefined;
  return body?.error?.code ?? e.code;
}

const HINTS: Readonly<Record<string, string>> = {
  PropertyChangeNotAllowed:
    "Azure does not allow changing this property of an existing resource. For an image definition, use a new image.name; for a version, publish a new version number.",
  AuthorizationFailed:
    "The identity lacks a role on this scope. Grant 'Compute Gallery Artifacts Publisher' (or Contributor) on the gallery's resource group; see README › Azure setup.",
  InvalidAuthenticationToken:
    "The token was rejected. Check tenant-id/client-id and the federated credential subject (README › Azure setup).",
  OperationNotAllowed:
    "Azure refused the operation, often for quota or an unsupported option in that region. The message above names the limit.",
  QuotaExceeded:
    "Request a quota increase for the subscription and region, or publish to fewer regions/replicas.",
  ResourceGroupNotFound:
    "Create the resource group first, or fix gallery.resourceGroup / staging.resourceGroup.",
  ParentResourceNotFound:
    "A parent resource (gallery or image definition) does not exist: check the manifest names.",
  GalleryImageVersionNotFound: "The version does not exist (it may have been deleted meanwhile).",
  InvalidParameter: "A request value was refused: the message names it.",
};

/** One line: `Azure refused <what> (<status> <code>): <message>. <hint>` */
export function describeAzureError(what: string, error: unknown): string {
  const e = asRestError(error);
  if (e === undefined) {
    const message = error instanceof Error ? error.message : String(error);
    return `${what} failed: ${message}`;
  }
  const code = azureErrorCode(error);
  const hint = code === undefined ? undefined : HINTS[code];
  const status = e.statusCode === undefined ? "" : `${e.statusCode} `;
  const message = (e.message ?? "").trim();
  return `Azure refused ${what} (${status}${code ?? "error"}): ${message}${hint === undefined ? "" : ` ${hint}`}`;
}
