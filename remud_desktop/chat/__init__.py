"""The Chat tab: an offline conversation with a local GGUF model (llama.cpp), with budget forcing."""

from remud_desktop.chat.chat_tab import ChatTab

__all__ = ["ChatTab"]
