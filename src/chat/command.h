/*
 * command.h - moderators' chat commands, typed as messages:
 *
 *   /timeout name [seconds] [reason]   (default 600 s)
 *   /ban name [reason]
 *   /unban name
 *   /slow [seconds|off]                (default 30 s; 0 or off turns it off)
 *   /clear
 *   /delete seq
 *
 * Pure: parses the text of one chat message (outside bytes, any content).
 * A name may start with '@' and is matched case-insensitively (usernames
 * are lower case). Text that does not start with '/' and a letter is not
 * a command; neither is "/" followed by a non-word ("/r/korea").
 */
#ifndef ONAIR_CHAT_COMMAND_H
#define ONAIR_CHAT_COMMAND_H

#include <stddef.h>

#include "chat/hub.h"

enum chat_command_parse_result {
    CHAT_CMD_NONE, /* an ordinary message */
    CHAT_CMD_OK,   /* a command: m's action, target, seconds, seq, reason are set */
    CHAT_CMD_BAD,  /* looks like a command but isn't one we take: *why says how */
};

#define CHAT_TIMEOUT_DEFAULT_S 600
#define CHAT_SLOW_DEFAULT_S 30

/* text: len bytes (need not be NUL-terminated). Leaves m's room and actor
 * alone. */
enum chat_command_parse_result chat_command_parse(const char *text, size_t len, struct chat_mod *m,
                                                  const char **why);

#endif
