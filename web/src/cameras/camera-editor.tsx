import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, errorText, get, patch } from '../api.js';
import { href, navigate } from '../router.js';
import { fieldFor, type CameraSettings, type Polygon } from './camera-settings.js';
import { PublishInfo } from './publish-info.js';
import { ZoneEditor, type Shapes } from './zone-editor.js';

/** Form fields an API error can be shown next to (their paths in the settings). */
const FIELDS = [
  'name', 'recording.enabled', 'recording.format', 'recording.segmentSeconds', 'retention.days', 'retention.eventDays',
  'motion.enabled', 'motion.sensitivity', 'motion.zones', 'motion.masks',
] as const;

interface Form {
  name: string;
  recordingEnabled: boolean;
  format: 'flv' | 'mp4';
  segmentSeconds: string;
  days: string;
  eventDays: string;
  motionEnabled: boolean;
  sensitivity: string;
  shapes: Shapes;
}

const formOf = (s: CameraSettings): Form => ({
  name: s.name,
  recordingEnabled: s.recording.enabled,
  format: s.recording.format,
  segmentSeconds: String(s.recording.segmentSeconds),
  days: String(s.retention.days),
  eventDays: String(s.retention.eventDays),
  motionEnabled: s.motion.enabled,
  sensitivity: String(s.motion.sensitivity),
  shapes: { zones: s.motion.zones, masks: s.motion.masks },
});

/** Numbers as typed: what is not a number goes as typed, and the API says what is wrong with it. */
const num = (v: string): number | string => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
const cleanShape = (p: Polygon): Polygon => ({ ...(p.name ? { name: p.name } : {}), points: p.points });

/** #/cameras/<id>: one camera's settings (admins only), its publish address, and delete. */
export function CameraEditor(props: { id: string; isNew: boolean; aspect: number; onChanged: () => void }) {
  const [settings, setSettings] = useState<CameraSettings | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);

  useEffect(() => {
    setSettings(null);
    setForm(null);
    get<CameraSettings>(`/api/cameras/${encodeURIComponent(props.id)}/settings`)
      .then((s) => {
        setSettings(s);
        setForm(formOf(s));
        setLoadError(null);
      })
      .catch((err) => setLoadError(errorText(err)));
  }, [props.id]);

  if (loadError) return <p class="error">This camera could not be loaded: {loadError}</p>;
  if (!settings || !form) return <p class="muted">Loading…</p>;

  const set = (patchForm: Partial<Form>) => {
    setForm({ ...form, ...patchForm });
    setStatus(null);
  };
  const showError = (err: unknown) => {
    const field = err instanceof ApiError ? fieldFor(err.field, FIELDS) : null;
    setErrors(field ? { [field]: errorText(err) } : { form: errorText(err) });
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setStatus(null);
    try {
      const body = {
        name: form.name.trim() === '' ? null : form.name.trim(),
        recording: { enabled: form.recordingEnabled, format: form.format, segmentSeconds: num(form.segmentSeconds) },
        retention: { days: num(form.days), eventDays: num(form.eventDays) },
        motion: {
          enabled: form.motionEnabled,
          sensitivity: num(form.sensitivity),
          zones: form.shapes.zones.map(cleanShape),
          masks: form.shapes.masks.map(cleanShape),
        },
      };
      const s = await patch<CameraSettings>(`/api/cameras/${encodeURIComponent(props.id)}`, body);
      setSettings(s);
      setForm(formOf(s));
      setStatus('Saved.');
      props.onChanged();
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await del(`/api/cameras/${encodeURIComponent(props.id)}`);
      props.onChanged();
      navigate(href('cameras'), true);
    } catch (err) {
      setErrors({ form: errorText(err) });
      setBusy(false);
    }
  };

  const err = (f: string) =>
    errors[f] && (
      <span class="error field-error" data-testid={`error-${f}`}>
        {errors[f]}
      </span>
    );

  return (
    <section class="camera-editor">
      <div class="toolbar">
        <a href={href('cameras')} class="button">
          ← Cameras
        </a>
        <h1>
          {settings.name} <span class="muted">({settings.id})</span>
        </h1>
      </div>
      {props.isNew && <p class="notice">Camera added. Paste these into the camera; it shows as live once it publishes.</p>}
      <PublishInfo settings={settings} />
      <form class="settings" onSubmit={save}>
        <fieldset>
          <legend>General</legend>
          <label>
            Name
            <input name="name" value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} />
            {err('name')}
          </label>
        </fieldset>
        <fieldset>
          <legend>Recording</legend>
          <label class="check">
            <input type="checkbox" name="recordingEnabled" checked={form.recordingEnabled} onChange={(e) => set({ recordingEnabled: e.currentTarget.checked })} />
            Record continuously
            {err('recording.enabled')}
          </label>
          <label>
            Format
            <select name="format" value={form.format} onChange={(e) => set({ format: e.currentTarget.value as 'flv' | 'mp4' })}>
              <option value="flv">FLV</option>
              <option value="mp4">MP4 (fragmented)</option>
            </select>
            {err('recording.format')}
          </label>
          <label>
            Segment length (s)
            <input name="segmentSeconds" type="number" inputMode="numeric" value={form.segmentSeconds} onInput={(e) => set({ segmentSeconds: e.currentTarget.value })} />
            {err('recording.segmentSeconds')}
          </label>
        </fieldset>
        <fieldset>
          <legend>Retention</legend>
          <label>
            Keep recordings (days)
            <input name="days" type="number" inputMode="decimal" value={form.days} onInput={(e) => set({ days: e.currentTarget.value })} />
            {err('retention.days')}
          </label>
          <label>
            Keep footage with motion (days)
            <input name="eventDays" type="number" inputMode="decimal" value={form.eventDays} onInput={(e) => set({ eventDays: e.currentTarget.value })} />
            {err('retention.eventDays')}
          </label>
        </fieldset>
        <fieldset class="wide">
          <legend>Motion</legend>
          <div class="row">
            <label class="check">
              <input type="checkbox" name="motionEnabled" checked={form.motionEnabled} onChange={(e) => set({ motionEnabled: e.currentTarget.checked })} />
              Detect motion
              {err('motion.enabled')}
            </label>
            <label>
              Sensitivity (1-100)
              <input name="sensitivity" type="number" inputMode="numeric" value={form.sensitivity} onInput={(e) => set({ sensitivity: e.currentTarget.value })} />
              {err('motion.sensitivity')}
            </label>
          </div>
          <ZoneEditor
            cameraId={settings.id}
            aspect={props.aspect}
            value={form.shapes}
            onChange={(shapes) => set({ shapes })}
            error={errors['motion.zones'] ?? errors['motion.masks']}
          />
        </fieldset>
        {errors.form && (
          <p class="error" role="alert" data-testid="error-form">
            {errors.form}
          </p>
        )}
        <div class="row actions">
          <button type="submit" class="primary" disabled={busy}>
            Save
          </button>
          {status && (
            <span class="ok" role="status">
              {status}
            </span>
          )}
          <span class="spacer" />
          {confirmDelete ? (
            <span class="confirm">
              Delete {settings.name}? It can no longer publish.{' '}
              <button type="button" class="danger" disabled={busy} onClick={remove}>
                Yes, delete
              </button>
              <button type="button" onClick={() => setConfirmDelete(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
              Delete camera
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
