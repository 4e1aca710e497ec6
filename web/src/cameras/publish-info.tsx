import { CopyField } from '../components/copy-button.js';
import type { CameraSettings } from './camera-settings.js';

/** What to paste into the camera: the whole URL, or server URL + stream key for cameras with two fields. */
export function PublishInfo(props: { settings: CameraSettings }) {
  const p = props.settings.publish;
  return (
    <div class="publish-info">
      <p class="muted">Set the camera (or OBS, ffmpeg) to publish RTMP here:</p>
      <CopyField label="RTMP URL" value={p.url} testId="publish-url" />
      <p class="muted">Cameras with separate fields:</p>
      <CopyField label="Server URL" value={p.serverUrl} testId="publish-server" />
      <CopyField label="Stream key" value={p.streamName} testId="publish-key" />
    </div>
  );
}
