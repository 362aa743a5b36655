"""Build stages, one module each, run in order by image.build.build_image()."""
