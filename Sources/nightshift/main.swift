import NightshiftCLI

await NightshiftMain.run()
