import { LoginLinks } from "./tokens";
import { Sessions } from "./sessions";

export interface PanelAuthSettings {
  public_url: string;
  login_ttl_s: number;
  session_ttl_s: number;
}

/** The panel's links and sessions, shared by `!panel` (which issues and ends) and the listener. */
export class PanelAuth {
  readonly links: LoginLinks;
  readonly sessions: Sessions;

  constructor(
    readonly settings: PanelAuthSettings,
    now: () => number = Date.now,
  ) {
    this.links = new LoginLinks(settings.login_ttl_s * 1000, now);
    this.sessions = new Sessions(settings.session_ttl_s * 1000, now);
  }

  /** Secure cookies when operators reach the panel over https (directly or through a proxy). */
  get secure(): boolean {
    return this.settings.public_url.startsWith("https://");
  }

  link(operator: string): { url: string; expiresAt: number } {
    const { token, expiresAt } = this.links.issue(operator);
    return { url: `${this.settings.public_url}/login/${token}`, expiresAt };
  }

  /** `!panel logout`: every session of the operator ends, and their unused links die. */
  logout(operator: string): { sessions: number; links: number } {
    return { sessions: this.sessions.endAll(operator), links: this.links.revokeAll(operator) };
  }
}
