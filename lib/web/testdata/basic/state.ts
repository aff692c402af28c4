// Shared state type and define helpers of the fixture app.
import { createDefine } from "../../mod.ts";

export interface State {
  trail: string[];
}

export const define = createDefine<State>();
