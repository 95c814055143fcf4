// Placeholder: the CLI entry point is being written (see NOTES.md).
return 0;
