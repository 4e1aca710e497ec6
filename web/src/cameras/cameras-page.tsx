import type { Session } from '../app.js';

export function CamerasPage(_props: { session: Session }) {
  return <h1>Cameras</h1>;
}
