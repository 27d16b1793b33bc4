"""GitHub: the online snapshot writer (`readylint snapshot github`)."""
