// Errors of the connector store, which the API turns into problem documents.

/** One problem with a connector's settings, at a field path. */
export interface ConnectorConfigIssue {
  /** e.g. ["config", "port"] or ["name"]. */
  path: string[];
  message: string;
}

/** The settings of a connector are invalid; `issues` say where. */
export class ConnectorConfigError extends Error {
  readonly issues: ConnectorConfigIssue[];
  constructor(message: string, issues: ConnectorConfigIssue[]) {
    super(message);
    this.name = "ConnectorConfigError";
    this.issues = issues;
  }
}

/** No connector has this id or name. */
export class ConnectorNotFoundError extends Error {
  constructor(idOrName: number | string) {
    super(`Cannot find connector ${JSON.stringify(idOrName)}`);
    this.name = "ConnectorNotFoundError";
  }
}

/** A connector that pipelines' steps still name can't be deleted. */
export class ConnectorInUseError extends Error {
  constructor(name: string, readonly pipelines: string[]) {
    super(
      `Cannot delete connector ${JSON.stringify(name)}: pipeline${
        pipelines.length > 1 ? "s" : ""
      } ${
        pipelines.map((p) => JSON.stringify(p)).join(", ")
      } use it (in their current or earlier versions); delete those pipelines first`,
    );
    this.name = "ConnectorInUseError";
  }
}
