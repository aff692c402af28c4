import { define } from "../lib/state.ts";

export default define.page(({ Component }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>ETL platform</title>
      <link rel="stylesheet" href="/styles.css" />
      <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
    </head>
    <body>
      <header class="top">
        <a class="brand" href="/">ETL</a>
        <nav>
          <a href="/load-csv">Load a CSV</a>
          <a href="/pipelines">Pipelines</a>
          <a href="/runs">Runs</a>
          <a href="/connectors">Connectors</a>
        </nav>
      </header>
      <main>
        <Component />
      </main>
    </body>
  </html>
));
