export function LoginPage(_props: { onLogin: () => void }) {
  return <h1>Log in</h1>;
}
