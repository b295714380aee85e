// The document around every dashboard page, and the sign-in page.
import { html, type SafeHtml } from './html.js';

/** A page: its title and its live part (what the page's script fetches again every few seconds). */
export interface Page {
  readonly title: string;
  readonly live: SafeHtml;
}

/** The whole document around a page's live part. */
export function layout(page: Page): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${page.title} · Ferry hub</title>
        <link rel="stylesheet" href="/assets/dashboard.css" />
        <script src="/assets/dashboard.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/">Ferry hub</a><a href="/">Fleet</a>
          <form method="post" action="/logout"><button type="submit">Sign out</button></form>
        </header>
        <main id="live">${page.live}</main>
      </body>
    </html>`.text;
}

export function loginPage(error?: string): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Sign in · Ferry hub</title>
        <link rel="stylesheet" href="/assets/dashboard.css" />
      </head>
      <body>
        <header><span class="brand">Ferry hub</span></header>
        <main>
          <h1>Sign in</h1>
          ${error ? html`<p class="failed" id="login-error">${error}</p>` : ''}
          <form method="post" action="/login">
            <label>Operator token <input type="password" name="token" autofocus required /></label>
            <button type="submit">Sign in</button>
          </form>
        </main>
      </body>
    </html>`.text;
}
