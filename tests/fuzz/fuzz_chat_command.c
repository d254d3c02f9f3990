/*
 * fuzz_chat_command.c - libFuzzer target for the moderators' chat commands
 * (src/chat/command.c): any message text.
 *
 * Checks: never reads past len (the input is copied into an exact-size
 * allocation, no NUL); text not starting with '/' and a letter is never a
 * command; a command that parses has its fields in range (target a
 * lower-case name, seconds and seq within limits, reason NUL-terminated
 * valid as a C string within its field); a rejected one says why.
 * Seeds: tests/fuzz/corpus/chat_command/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    struct chat_mod m;
    memset(&m, 0x5A, sizeof m);
    const char *why = (const char *)1;
    enum chat_command_parse_result r = chat_command_parse(text, size, &m, &why);
    bool slash_letter = size >= 2 && text[0] == '/' &&
                        ((text[1] >= 'a' && text[1] <= 'z') || (text[1] >= 'A' && text[1] <= 'Z'));
    if (!slash_letter && r != CHAT_CMD_NONE)
        abort();
    if (r == CHAT_CMD_BAD && (why == NULL || why[0] == '\0'))
        abort();
    if (r == CHAT_CMD_OK) {
        if (memchr(m.reason, '\0', sizeof m.reason) == NULL)
            abort();
        switch (m.action) {
        case CHAT_MOD_TIMEOUT:
            if (m.seconds < 1 || m.seconds > CHAT_TIMEOUT_MAX_S)
                abort();
            /* fall through */
        case CHAT_MOD_BAN:
        case CHAT_MOD_UNBAN: {
            size_t n = strnlen(m.target, sizeof m.target);
            if (n == 0 || n == sizeof m.target)
                abort();
            for (size_t i = 0; i < n; i++) {
                char c = m.target[i];
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
                    abort();
            }
            break;
        }
        case CHAT_MOD_SLOW:
            if (m.seconds < 0 || m.seconds > STORE_SLOW_MAX)
                abort();
            break;
        case CHAT_MOD_DELETE:
            if (m.seq < 1)
                abort();
            break;
        case CHAT_MOD_CLEAR:
            break;
        default:
            abort();
        }
    }
    free(text);
    return 0;
}
