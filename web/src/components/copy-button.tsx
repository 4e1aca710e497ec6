import { useState } from 'preact/hooks';

/**
 * Copies text to the clipboard. navigator.clipboard exists only in secure
 * contexts, and an NVR on a LAN is usually plain http://192.168.x.y: then a
 * hidden textarea and execCommand('copy') do it.
 */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back below */
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok;
}

/** A labelled, read-only value with a Copy button (publish URL, stream key). */
export function CopyField(props: { label: string; value: string; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    setState((await copyText(props.value)) ? 'copied' : 'failed');
    setTimeout(() => setState('idle'), 1500);
  };
  return (
    <div class="copy-field">
      <span class="label">{props.label}</span>
      <code data-testid={props.testId}>{props.value}</code>
      <button type="button" class="small" onClick={copy}>
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : 'Copy'}
      </button>
    </div>
  );
}
