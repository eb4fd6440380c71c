// Process entry: bin/aeraki loads the compiled form of this file.
import { main } from './main.js';

await main(process.argv.slice(2));
