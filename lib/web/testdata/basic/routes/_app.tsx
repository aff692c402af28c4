import { define } from "../state.ts";

export default define.page(({ Component }) => (
  <html lang="en">
    <head>
      <title>Fixture</title>
    </head>
    <body class="app">
      <Component />
    </body>
  </html>
));
