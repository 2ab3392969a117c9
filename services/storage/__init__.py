"""Where bytes live. May import `core`.

Public surface: `embedded_db.EmbeddedDatabase` (the SecantusDB child process the app may start),
`media_store.MediaStore` / `FileMediaStore` (frames and videos by key).
"""
