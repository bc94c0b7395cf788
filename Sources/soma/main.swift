import Foundation
import SomaCLI

exit(await SomaCommand.run())
