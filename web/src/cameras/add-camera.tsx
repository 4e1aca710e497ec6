import { useState } from 'preact/hooks';
import { ApiError, errorText, post } from '../api.js';
import { href, navigate } from '../router.js';
import { fieldFor, type CameraSettings } from './camera-settings.js';

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Adds a camera (id and name; the server makes a stream key) and opens it to show where to publish. */
export function AddCamera(props: { onAdded: () => void }) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    setBusy(true);
    try {
      const s = await post<CameraSettings>('/api/cameras', { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
      props.onAdded();
      navigate(href('cameras', [s.id], { added: 1 }));
    } catch (err) {
      const field = err instanceof ApiError ? (err.code === 'CAMERA_EXISTS' ? 'id' : fieldFor(err.field, ['id', 'name'])) : null;
      setErrors(field ? { [field]: errorText(err) } : { form: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  const idHint = id && !ID.test(id) ? 'lower-case letters, digits, - and _ (it goes into the RTMP URL)' : null;
  return (
    <form class="add-camera card" onSubmit={submit}>
      <h2>Add a camera</h2>
      <div class="row">
        <label>
          Id
          <input name="id" required placeholder="front-door" value={id} onInput={(e) => setId(e.currentTarget.value)} autocomplete="off" />
          {(errors.id || idHint) && (
            <span class={errors.id ? 'error field-error' : 'muted field-error'} data-testid="error-id">
              {errors.id ?? idHint}
            </span>
          )}
        </label>
        <label>
          Name
          <input name="name" placeholder="Front door" value={name} onInput={(e) => setName(e.currentTarget.value)} autocomplete="off" />
          {errors.name && <span class="error field-error">{errors.name}</span>}
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Add
        </button>
      </div>
      {errors.form && <p class="error" role="alert">{errors.form}</p>}
    </form>
  );
}
