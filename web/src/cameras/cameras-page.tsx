import type { Session } from '../app.js';
import { useMotionActive } from '../components/motion-feed.js';
import { StatusBadges } from '../components/status-badges.js';
import { useCameras, type CameraStatus } from '../components/use-cameras.js';
import { href, type Route } from '../router.js';
import { AddCamera } from './add-camera.js';
import { CameraEditor } from './camera-editor.js';

const describeVideo = (c: CameraStatus) =>
  c.video ? `${c.video.codec.toUpperCase()} ${c.video.width}×${c.video.height}${c.video.fps ? ` @ ${Math.round(c.video.fps)} fps` : ''}` : '—';

/**
 * #/cameras: every camera with its status; admins add cameras here and open
 * one (#/cameras/<id>) to edit it. Viewers see the list only.
 */
export function CamerasPage(props: { session: Session; route: Route }) {
  const { cameras, error, reload } = useCameras();
  const motion = useMotionActive();
  const admin = props.session.user.role === 'admin';
  const editing = props.route.params[0];

  if (editing && admin) {
    const cam = cameras?.find((c) => c.id === editing);
    const aspect = cam?.video ? cam.video.width / cam.video.height : 16 / 9;
    return <CameraEditor key={editing} id={editing} isNew={props.route.query.has('added')} aspect={aspect} onChanged={reload} />;
  }

  return (
    <section class="cameras">
      <h1>Cameras</h1>
      {error && <p class="error">Cameras could not be loaded: {error}</p>}
      {!admin && <p class="muted">You are logged in as a viewer: settings are read-only.</p>}
      {cameras && cameras.length === 0 && <p class="empty">No cameras yet.</p>}
      {cameras && cameras.length > 0 && (
        <table class="camera-table">
          <thead>
            <tr>
              <th>Camera</th>
              <th>Status</th>
              <th class="wide-only">Video</th>
              <th class="wide-only">Bitrate</th>
              <th class="wide-only">Viewers</th>
              {admin && <th />}
            </tr>
          </thead>
          <tbody>
            {cameras.map((c) => (
              <tr key={c.id} data-camera={c.id}>
                <td>
                  <strong>{c.name}</strong>
                  <div class="muted">{c.id}</div>
                </td>
                <td>
                  <StatusBadges camera={c} motion={motion.has(c.id) || c.motion?.active === true} />
                </td>
                <td class="wide-only">{describeVideo(c)}</td>
                <td class="wide-only">{c.live ? `${Math.round(c.bitrateKbps)} kbit/s` : '—'}</td>
                <td class="wide-only">{c.viewers}</td>
                {admin && (
                  <td>
                    <a class="button small" href={href('cameras', [c.id])}>
                      Edit
                    </a>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {admin && <AddCamera onAdded={reload} />}
    </section>
  );
}
