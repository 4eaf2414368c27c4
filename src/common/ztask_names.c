/*  ztask_names - names of task states and priority levels. */
#include "ztask/client.h"

#include <stdlib.h>
#include <string.h>

const char *
ztask_state_name (ztask_state_t state)
{
    switch (state) {
    case ZTASK_STATE_QUEUED: return "queued";
    case ZTASK_STATE_RUNNING: return "running";
    case ZTASK_STATE_DONE: return "done";
    case ZTASK_STATE_FAILED: return "failed";
    case ZTASK_STATE_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

int
ztask_priority_parse (const char *text)
{
    if (!text)
        return -1;
    if (strcmp (text, "low") == 0)
        return ZTASK_PRIORITY_LOW;
    if (strcmp (text, "normal") == 0)
        return ZTASK_PRIORITY_NORMAL;
    if (strcmp (text, "high") == 0)
        return ZTASK_PRIORITY_HIGH;
    if (text[0] >= '0' && text[0] <= '9' && text[1] == 0)
        return text[0] - '0';
    return -1;
}
