//! `schema.graphql` is the exported SDL of the server; regenerate with `cargo run -- schema > schema.graphql`.

#[test]
fn schema_file_matches_the_server() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let live = interfaces::graphql::sdl();
    assert!(
        on_disk == live,
        "schema.graphql is out of date with the server; run `cargo run -- schema > schema.graphql` and commit it"
    );
}
