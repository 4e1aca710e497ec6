import type { CameraStatus } from './use-cameras.js';

/** live / offline, recording, motion now: the same badges on the grid and the cameras list. */
export function StatusBadges(props: { camera: CameraStatus; motion: boolean }) {
  const c = props.camera;
  const motionProblem = c.motion && c.motion.enabled && /error|missing|unsupported/.test(c.motion.state);
  return (
    <span class="badges">
      <span class={`badge ${c.live ? 'live' : 'offline'}`} data-testid="badge-live">
        {c.live ? 'live' : 'offline'}
      </span>
      {c.recording && <span class="badge rec">rec</span>}
      {props.motion && <span class="badge motion">motion</span>}
      {motionProblem && (
        <span class="badge warn" title={c.motion!.message ?? c.motion!.state}>
          motion: {c.motion!.state}
        </span>
      )}
    </span>
  );
}
