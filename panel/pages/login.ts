import { html, type Html } from "../html";

/** GET of a login link: nothing is used yet; only pressing Continue (a POST) logs in. */
export function loginPage(token: string, operator: string): Html {
  return html`<h1>Log in to the panel</h1>
    <p>This link logs in <strong>${operator}</strong>. It works once.</p>
    <form method="post" action="/login/${token}">
      <button type="submit" id="continue">Continue</button>
    </form>`;
}
