/** ARM's error shape: { error: { code, message, target? } } with an HTTP status. */
export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    target?: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ArmError";
    this.status = status;
    this.code = code;
    this.target = target;
    this.headers = headers;
  }

  body(): { error: { code: string; message: string; target?: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target === undefined ? {} : { target: this.target }),
      },
    };
  }
}

export const invalidParameter = (message: string, target?: string): ArmError =>
  new ArmError(400, "InvalidParameter", message, target);

export const propertyChangeNotAllowed = (property: string): ArmError =>
  new ArmError(409, "PropertyChangeNotAllowed", `Changing property '${property}' is not allowed.`, property);

export const resourceNotFound = (type: string, name: string, resourceGroup: string): ArmError =>
  new ArmError(
    404,
    "ResourceNotFound",
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found.`,
  );

export const parentResourceNotFound = (parentName: string): ArmError =>
  new ArmError(
    404,
    "ParentResourceNotFound",
    `Can not perform requested operation on nested resource. Parent resource '${parentName}' not found.`,
  );

/** Default ARM code for a fault status. */
export function defaultCodeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "AuthenticationFailed";
    case 403:
      return "AuthorizationFailed";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalServerError";
    case 502:
      return "BadGateway";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "GatewayTimeout";
    default:
      return status >= 500 ? "InternalServerError" : "BadRequest";
  }
}
