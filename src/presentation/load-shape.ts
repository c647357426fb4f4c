// The description of a load shape ('200 it/s for 30s (max 500 VUs)'). The engine owns the wording
// (a run's PlanInfo carries it, and the engine imports nothing from outside src/engine); the
// presentation module re-exports it for static discovery, lenses and Test Explorer.
export { describeLoad, describeLoadShape } from '../engine/load';
