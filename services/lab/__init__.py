"""Prompt Lab: compare refinement, frame and video models side by side, then adopt the best into a workflow.

Public surface:
- `service.PromptLab`: `estimate`, `run` (2–4 refinement models in parallel), `get_run`, `list_runs` (newest first,
  text search), `export` (JSON or CSV), `rate` (star and note), `adopt` ("Use this one": the next refinement
  iteration of a workflow) and `start_workflow` (a new workflow from a result).
- `variations.LabVariations`: `request_video_variations` / `pick_video` (two videos from the approved frames; the
  job step `execute_job`), and from `frames_ab.FrameComparisons` `compare_frame` / `adopt_frame` (one frame on two
  frame models, same seed).
- `diff.word_diff` / `diff.diff_html`: the word-level diff between two results.
- `repository.ensure_lab_indexes` and `build_lab` (wiring for the composition root).
"""
