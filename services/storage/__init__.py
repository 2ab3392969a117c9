"""Where bytes live. May import `core`.

Public surface: `embedded_db.EmbeddedDatabase` (the SecantusDB child process the app may start);
`media_store.MediaStore` (the protocol: frames and videos by key, streamed whole or by byte range) with
`media_store.FileMediaStore` (files under MEDIA_DIR) and `gridfs_store.GridFSMediaStore` (GridFS, shared by
every host), chosen by `selection.build_media_store`; `signed_urls.SignedMedia` (signed, expiring media URLs);
`media_maintenance` (the orphan sweep and the files-to-GridFS migration behind scripts/).
"""
