/** A page of the navigation that is not built yet: says so rather than failing. */
export function Placeholder(props: { title: string; what: string }) {
  return (
    <section aria-labelledby="ph-heading">
      <h1 id="ph-heading">{props.title}</h1>
      <p>{props.what} comes in a later release of the web UI; the API is there today (see the README).</p>
    </section>
  )
}
