// Every feature's message catalog, as the app registers them (src/features.ts), so a test that renders
// a card or a message without building the app sees the same strings.
import { registerAllMessages } from '../src/features.ts';

registerAllMessages();
