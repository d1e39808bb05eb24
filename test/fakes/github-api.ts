/**
 * A local fake of the few GitHub REST endpoints the action uses (issue comments), on loopback:
 *
 *   GET   /repos/{owner}/{repo}/issues/{number}/comments?per_page&page   (Link-header pagination)
 *   POST  /repos/{owner}/{repo}/issues/{number}/comments                 (create)
 *   PATCH /repos/{owner}/{repo}/issues/comments/{id}                     (update)
 *
 * It records every call, can cap the page size below what the client asks (to force pagination
 * with few comments), and can answer a status (e.g. 403 "Resource not accessible by integration")
 * for chosen methods. Point GITHUB_API_URL (or Octokit's baseUrl) at `url`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeComment {
  id: number;
  node_id: string;
  body: string;
  user: { login: string; id: number; type: "Bot" | "User" };
  html_url: string;
  url: string;
  issue_url: string;
  created_at: string;
  updated_at: string;
  author_association: string;
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization?: string;
  readonly body?: unknown;
  readonly status: number;
}

export interface FailRule {
  readonly status: number;
  /** Methods the rule applies to; all when absent. */
  readonly methods?: readonly string[];
  readonly message?: string;
}

export interface FakeGitHubApiOptions {
  /** Largest page the fake serves, whatever per_page asks (GitHub: 100). */
  readonly maxPerPage?: number;
}

const ISSUE_COMMENTS = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/;
const COMMENT = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/;

export class FakeGitHubApi {
  readonly calls: RecordedCall[] = [];
  readonly #server: Server;
  readonly #issues = new Map<string, FakeComment[]>();
  #nextId = 1000;
  #failRule: FailRule | undefined;
  #maxPerPage: number;
  #clock = Date.parse("2025-01-01T00:00:00Z");

  private constructor(server: Server, options: FakeGitHubApiOptions) {
    this.#server = server;
    this.#maxPerPage = options.maxPerPage ?? 100;
  }

  static async start(options: FakeGitHubApiOptions = {}): Promise<FakeGitHubApi> {
    const holder: { api?: FakeGitHubApi } = {};
    const server = createServer((req, res) => {
      void holder.api?.handle(req, res);
    });
    const api = new FakeGitHubApi(server, options);
    holder.api = api;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return api;
  }

  get url(): string {
    const address = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  set maxPerPage(value: number) {
    this.#maxPerPage = value;
  }

  /** Answer `rule.status` to matching requests from now on (undefined: answer normally again). */
  failWith(rule: FailRule | undefined): void {
    this.#failRule = rule;
  }

  reset(): void {
    this.calls.length = 0;
    this.#issues.clear();
    this.#failRule = undefined;
  }

  comments(owner: string, repo: string, issue: number): readonly FakeComment[] {
    return this.#issues.get(key(owner, repo, issue)) ?? [];
  }

  /** Adds comments as if others had written them. */
  seed(
    owner: string,
    repo: string,
    issue: number,
    bodies: readonly string[],
    login = "someone",
  ): FakeComment[] {
    return bodies.map((body) => this.#add(owner, repo, issue, body, login));
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #add(owner: string, repo: string, issue: number, body: string, login: string): FakeComment {
    const id = this.#nextId++;
    const now = new Date((this.#clock += 1000)).toISOString();
    const comment: FakeComment = {
      id,
      node_id: `IC_${id}`,
      body,
      user: {
        login,
        id: login === "github-actions[bot]" ? 41898282 : 1,
        type: login.endsWith("[bot]") ? "Bot" : "User",
      },
      html_url: `https://github.com/${owner}/${repo}/pull/${issue}#issuecomment-${id}`,
      url: `${this.url}/repos/${owner}/${repo}/issues/comments/${id}`,
      issue_url: `${this.url}/repos/${owner}/${repo}/issues/${issue}`,
      created_at: now,
      updated_at: now,
      author_association: "NONE",
    };
    const list = this.#issues.get(key(owner, repo, issue)) ?? [];
    list.push(comment);
    this.#issues.set(key(owner, repo, issue), list);
    return comment;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    const query = Object.fromEntries(url.searchParams.entries());
    const raw = await readBody(req);
    let body: unknown;
    if (raw !== "") {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const record = (status: number): void => {
      this.calls.push({
        method,
        path: url.pathname,
        query,
        ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
        ...(body === undefined ? {} : { body }),
        status,
      });
    };
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      record(status);
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(payload));
    };

    const rule = this.#failRule;
    if (rule !== undefined && (rule.methods === undefined || rule.methods.includes(method))) {
      send(rule.status, {
        message:
          rule.message ?? (rule.status === 403 ? "Resource not accessible by integration" : "Fake failure"),
        documentation_url: "https://docs.github.com/rest",
        status: String(rule.status),
      });
      return;
    }

    const list = ISSUE_COMMENTS.exec(url.pathname);
    if (list !== null) {
      const [, owner = "", repo = "", number = "0"] = list;
      const issue = Number(number);
      if (method === "GET") {
        const all = this.comments(owner, repo, issue);
        const perPage = Math.min(this.#maxPerPage, Math.max(1, Number(query["per_page"] ?? "30")));
        const page = Math.max(1, Number(query["page"] ?? "1"));
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const link = (p: number, rel: string): string => {
          const next = new URL(url.pathname, this.url);
          next.searchParams.set("per_page", String(query["per_page"] ?? perPage));
          next.searchParams.set("page", String(p));
          return `<${next.toString()}>; rel="${rel}"`;
        };
        const links: string[] = [];
        if (page > 1) links.push(link(page - 1, "prev"), link(1, "first"));
        if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
        send(200, slice, links.length > 0 ? { link: links.join(", ") } : {});
        return;
      }
      if (method === "POST") {
        const text = isRecord(body) && typeof body["body"] === "string" ? body["body"] : undefined;
        if (text === undefined) {
          send(422, { message: 'Invalid request.\n\n"body" wasn\'t supplied.' });
          return;
        }
        if (text.length > 65536) {
          send(422, {
            message: "Validation Failed",
            errors: [{ message: "Body is too long (maximum is 65536 characters)" }],
          });
          return;
        }
        send(201, this.#add(owner, repo, issue, text, "github-actions[bot]"));
        return;
      }
    }

    const single = COMMENT.exec(url.pathname);
    if (single !== null && method === "PATCH") {
      const [, owner = "", repo = "", idText = "0"] = single;
      const id = Number(idText);
      for (const [issueKey, comments] of this.#issues) {
        if (!issueKey.startsWith(`${owner}/${repo}#`)) continue;
        const comment = comments.find((c) => c.id === id);
        if (comment === undefined) continue;
        const text = isRecord(body) && typeof body["body"] === "string" ? body["body"] : undefined;
        if (text === undefined || text.length > 65536) {
          send(422, { message: "Validation Failed" });
          return;
        }
        comment.body = text;
        comment.updated_at = new Date((this.#clock += 1000)).toISOString();
        send(200, comment);
        return;
      }
    }

    send(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  }
}

function key(owner: string, repo: string, issue: number): string {
  return `${owner}/${repo}#${issue}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
