import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * English messages for zod/mini's issues ("Too small: expected number to be >=1", ...). zod
 * classic installs them when it builds its first schema; zod/mini leaves the locale to the
 * application, and without one every issue says only "Invalid input". Imported by each module
 * that defines zod/mini schemas, so no parse can run before it. Like classic, it leaves a
 * locale someone configured first alone.
 */
if (!config().localeError) config(en());
